package io.infrasage.pagerduty.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JfrTop on a real JFR recording of a thread kept busy in a method of this class. */
class JfrTopTest {

    private static final AtomicLong SINK = new AtomicLong();

    @Test
    void chargesTheBusyThreadAndItsCodeWithTheSamples(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("busy.jfr");
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
            recording.start();
            Thread busy = new Thread(JfrTopTest::spinForOneSecondOfCpu, "jfrtop-busy-7");
            busy.start();
            busy.join();
            recording.stop();
            recording.dump(file);
        }

        JfrTop top = JfrTop.of(List.of(file));
        String text = String.join("\n", top.markdown(25, 15));

        assertTrue(top.samples() > 0, "no execution samples in " + file);
        assertTrue(text.contains("| `jfrtop-busy-` |"), "the busy thread, its number dropped, is missing:\n" + text);
        assertTrue(text.contains("| `io.infrasage.pagerduty` |"), "this package is missing as the caller:\n" + text);
    }

    /** Keeps a CPU busy for one second of this thread's CPU time (whatever else runs on the machine). */
    private static void spinForOneSecondOfCpu() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long until = threads.getCurrentThreadCpuTime() + 1_000_000_000L;
        long x = 0;
        while (threads.getCurrentThreadCpuTime() < until) {
            for (int i = 0; i < 100_000; i++) {
                x = x * 31 + Long.toString(i).hashCode();
            }
        }
        SINK.addAndGet(x);
    }
}
