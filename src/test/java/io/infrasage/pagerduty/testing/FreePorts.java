package io.infrasage.pagerduty.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Ports for the servers tests start (bundles, ClickHouse, brokers). A port the kernel picked (bind to 0) is free only
 * until it is closed: an outgoing connection or another test JVM may take it before the server binds it. These come
 * from below the kernel's ephemeral range (32768 and up), which outgoing connections draw from, and each is claimed
 * with a file lock under target/ held for the life of this JVM, so two test JVMs (failsafe's forks) never share one.
 */
public final class FreePorts {

    private static final int FIRST = 20_000;
    private static final int LAST = 32_000;
    private static final List<FileLock> CLAIMS = new ArrayList<>();
    private static int next = FIRST;

    private FreePorts() {
    }

    /** The next port nothing listens on and no other test JVM has claimed. */
    public static synchronized int next() {
        return nextRun(1);
    }

    /** The first of two consecutive such ports (a server that takes its port and the one after it). */
    public static synchronized int nextPair() {
        return nextRun(2);
    }

    private static int nextRun(int length) {
        while (next + length - 1 <= LAST) {
            int first = next;
            next += length;
            if (claimed(first, length) && free(first) && (length == 1 || free(first + 1))) {
                return first;
            }
        }
        throw new IllegalStateException("no free port left in " + FIRST + ".." + LAST);
    }

    /** Claims the ports for this JVM; false when another JVM holds one of them (its claims are then all released). */
    private static boolean claimed(int first, int length) {
        List<FileLock> locks = new ArrayList<>();
        try {
            Path dir = Files.createDirectories(LocalClickHouse.projectRoot().resolve("target/test-ports"));
            for (int port = first; port < first + length; port++) {
                FileChannel channel = FileChannel.open(dir.resolve(port + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    channel.close();
                    break;
                }
                locks.add(lock);
            }
        } catch (IOException | OverlappingFileLockException e) {
            // treated as claimed elsewhere
        }
        if (locks.size() == length) {
            CLAIMS.addAll(locks);
            return true;
        }
        for (FileLock lock : locks) {
            try {
                lock.channel().close();
            } catch (IOException e) {
                // released with the channel anyway
            }
        }
        return false;
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException taken) {
            return false; // a server of an earlier run still holds it
        }
    }
}
