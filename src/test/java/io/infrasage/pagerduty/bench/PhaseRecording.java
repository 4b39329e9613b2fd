package io.infrasage.pagerduty.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A profile of the bundle's processes during one phase of the benchmark, started and written with {@code jcmd}, so each
 * phase gets a profile of its own without restarting the bundle: a JFR recording ({@code settings=profile};
 * BENCH_PROFILE=1), or async-profiler's CPU profile in JFR format (BENCH_PROFILE=async, the library in
 * BENCH_ASYNC_PROFILER_LIB, loaded as an agent; it samples every thread's CPU, native code, GC and JIT included, where
 * JFR's sampler sees Java code only). The files go to {@code <dir>/<phase>-<pid>.jfr}; {@link JfrTop} summarises them.
 */
final class PhaseRecording {

    /** Which profiler records; {@link #ASYNC} takes one sample per 10 ms of a thread's CPU time. */
    enum Profiler {
        JFR, ASYNC;

        /** From BENCH_PROFILE: 1 or jfr, async; null when not profiling. */
        static Profiler fromEnv() {
            String v = BenchSettings.env("BENCH_PROFILE", "0");
            return switch (v) {
                case "0" -> null;
                case "1", "jfr" -> JFR;
                case "async" -> ASYNC;
                default -> throw new IllegalArgumentException("BENCH_PROFILE must be 0, 1 (or jfr) or async, not " + v);
            };
        }
    }

    private final Profiler profiler;
    private final String phase;
    private final List<Long> pids;
    private final Path dir;
    private double cpuAtStart;
    private double cpuAtStop = Double.NaN;

    private PhaseRecording(Profiler profiler, String phase, List<Long> pids, Path dir) {
        this.profiler = profiler;
        this.phase = phase;
        this.pids = pids;
        this.dir = dir;
    }

    private double cpuNow() {
        return pids.stream().mapToDouble(BundleJar::cpuSeconds).sum();
    }

    /** CPU seconds the processes used between start and stop (user + system), to set the samples against. */
    double cpuSeconds() {
        return cpuAtStop - cpuAtStart;
    }

    /** Starts a recording named {@code phase} in each process. */
    static PhaseRecording start(Profiler profiler, String phase, List<Long> pids, Path dir) {
        PhaseRecording r = new PhaseRecording(profiler, phase, pids, dir);
        for (long pid : pids) {
            if (profiler == Profiler.JFR) {
                jcmd(pid, "JFR.start", "name=" + phase, "settings=profile");
            } else {
                // the agent's options in quotes: jcmd would take their '=' for its own
                jcmd(pid, "JVMTI.agent_load", asyncLibrary(), "\"start,event=cpu,interval=10ms,file=" + r.file(pid) + "\"");
            }
        }
        r.cpuAtStart = r.cpuNow();
        return r;
    }

    /** Stops the recordings and writes them; returns the files written. */
    List<Path> stop() {
        cpuAtStop = cpuNow();
        List<Path> files = new ArrayList<>();
        for (long pid : pids) {
            Path file = file(pid);
            if (profiler == Profiler.JFR) {
                jcmd(pid, "JFR.stop", "name=" + phase, "filename=" + file);
            } else {
                jcmd(pid, "JVMTI.agent_load", asyncLibrary(), "\"stop,file=" + file + "\"");
            }
            if (Files.isRegularFile(file)) {
                files.add(file);
            }
        }
        return files;
    }

    private Path file(long pid) {
        return dir.resolve(phase + "-" + pid + ".jfr");
    }

    /** How to read the sample count: what one sample stands for. */
    String sampling() {
        return profiler == Profiler.JFR ? "JFR: at most one per Java thread in Java code every 10 ms"
                : "async-profiler: one per 10 ms of a thread's CPU, native code included";
    }

    private static String asyncLibrary() {
        String lib = BenchSettings.env("BENCH_ASYNC_PROFILER_LIB", null);
        if (lib == null || !Files.isRegularFile(Path.of(lib))) {
            throw new IllegalStateException("BENCH_ASYNC_PROFILER_LIB must name libasyncProfiler.so (scripts/benchmark.sh sets it"
                    + " for BENCH_PROFILE=async)");
        }
        return lib;
    }

    private static void jcmd(long pid, String... command) {
        List<String> args = new ArrayList<>();
        args.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        args.add(Long.toString(pid));
        args.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("jcmd " + String.join(" ", command) + " failed for " + pid + ": " + out.trim());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run jcmd: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
