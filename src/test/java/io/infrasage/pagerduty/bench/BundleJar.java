package io.infrasage.pagerduty.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LogTail;
import io.infrasage.pagerduty.testing.RunningBundle;

/**
 * The bundle as operators run it: {@code java [opts] -jar target/infrasage-pagerduty-1.0.0-SNAPSHOT-app.jar} in the
 * project folder, configured only by environment variables, bound to 127.0.0.1. Knows when it became ready (first 200
 * from /observe/health), its memory (/proc/&lt;pid&gt;/status), and how to kill -9 it.
 */
public final class BundleJar implements AutoCloseable {

    private final Process process;
    private final int port;
    private final int managementPort;
    private final long startedNanos;
    private long readyNanos = -1;

    private BundleJar(Process process, int port, int managementPort, long startedNanos) {
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.startedNanos = startedNanos;
    }

    /** Ports chosen once, so a restarted bundle answers where the sandbox's webhooks and the clients expect it. */
    public record Ports(int server, int management) {
        public static Ports free() {
            return new Ports(FreePorts.next(), FreePorts.next());
        }
    }

    /** Starts the jar and waits (at most {@code readyTimeout}) until /observe/health answers 200. */
    public static BundleJar start(Path projectRoot, Path jar, List<String> javaOptions, Map<String, String> env, Ports ports,
                                  Path log, Duration readyTimeout) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(javaOptions);
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder pb = new ProcessBuilder(command).directory(projectRoot.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        pb.environment().put("CAMEL_SERVER_HOST", "127.0.0.1");
        pb.environment().put("CAMEL_SERVER_PORT", Integer.toString(ports.server()));
        pb.environment().put("CAMEL_MANAGEMENT_HOST", "127.0.0.1");
        pb.environment().put("CAMEL_MANAGEMENT_PORT", Integer.toString(ports.management()));
        try {
            Files.createDirectories(log.getParent());
            long t0 = BenchClock.nanos();
            BundleJar bundle = new BundleJar(pb.start(), ports.server(), ports.management(), t0);
            long deadline = t0 + readyTimeout.toNanos();
            while (!bundle.healthy()) {
                if (!bundle.process.isAlive()) {
                    throw new IllegalStateException("the bundle exited with " + bundle.process.exitValue() + " before it was ready; "
                            + LogTail.of(log, 30));
                }
                if (BenchClock.nanos() > deadline) {
                    bundle.kill();
                    throw new IllegalStateException("the bundle was not ready within " + readyTimeout.toSeconds() + " s; "
                            + LogTail.of(log, 30));
                }
                Thread.sleep(10);
            }
            bundle.readyNanos = BenchClock.nanos() - t0;
            return bundle;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + jar + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public boolean healthy() {
        return RunningBundle.healthy(managementPort);
    }

    /** From process start to the first 200 on /observe/health. */
    public double readyMillis() {
        return readyNanos / 1e6;
    }

    public long startedNanos() {
        return startedNanos;
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public URI managementUrl(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** VmHWM (peak resident set) and VmRSS (now), in MiB, from /proc/&lt;pid&gt;/status. */
    public record Memory(double peakMiB, double nowMiB) {
        @Override
        public String toString() {
            return Stats.f("VmHWM %.0f MiB, VmRSS %.0f MiB", peakMiB, nowMiB);
        }
    }

    public Memory memory() {
        return memory(process.pid());
    }

    public static Memory memory(long pid) {
        try {
            long hwm = 0;
            long rss = 0;
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmHWM:")) {
                    hwm = kib(line);
                } else if (line.startsWith("VmRSS:")) {
                    rss = kib(line);
                }
            }
            return new Memory(hwm / 1024.0, rss / 1024.0);
        } catch (IOException e) {
            return new Memory(Double.NaN, Double.NaN);
        }
    }

    /** CPU time (user + system) the process used so far, in seconds, from /proc/&lt;pid&gt;/stat; NaN when unreadable. */
    public static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command name; clock ticks of 1/100 s
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    public double cpuSeconds() {
        return cpuSeconds(process.pid());
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    /** SIGKILL: no shutdown hook, no flush, like a crashed host. */
    public void kill() {
        process.destroyForcibly();
        waitFor();
    }

    /** SIGTERM, as a deploy sends it, without waiting for the process to end. */
    public void sigterm() {
        process.destroy();
    }

    /** The process's exit status, or -1 when it had not exited within the time given. */
    public int awaitExit(Duration within) throws InterruptedException {
        return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** SIGTERM: Camel's graceful shutdown. */
    public void stop() {
        process.destroy();
        if (!waitFor()) {
            kill();
        }
    }

    private boolean waitFor() {
        try {
            return process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            stop();
        }
    }

}
