package io.infrasage.pagerduty.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JFR recording ({@code settings=profile}) of the bundle's processes during one phase of the benchmark, started and
 * dumped with {@code jcmd} (BENCH_PROFILE=1), so each phase gets a profile of its own without restarting the bundle.
 * The files go to {@code <dir>/<phase>-<pid>.jfr}; {@link JfrTop} summarises them into the report.
 */
final class PhaseRecording {

    private final String phase;
    private final List<Long> pids;
    private final Path dir;
    private double cpuAtStart;
    private double cpuAtStop = Double.NaN;

    private PhaseRecording(String phase, List<Long> pids, Path dir) {
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
    static PhaseRecording start(String phase, List<Long> pids, Path dir) {
        PhaseRecording r = new PhaseRecording(phase, pids, dir);
        for (long pid : pids) {
            jcmd(pid, "JFR.start", "name=" + phase, "settings=profile");
        }
        r.cpuAtStart = r.cpuNow();
        return r;
    }

    /** Stops the recordings and writes them; returns the files written. */
    List<Path> stop() {
        cpuAtStop = cpuNow();
        List<Path> files = new ArrayList<>();
        for (long pid : pids) {
            Path file = dir.resolve(phase + "-" + pid + ".jfr");
            jcmd(pid, "JFR.stop", "name=" + phase, "filename=" + file);
            if (Files.isRegularFile(file)) {
                files.add(file);
            }
        }
        return files;
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
