package io.infrasage.pagerduty.bench;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The bundle's instances as a platform runs them: {@code n} copies of the jar with the same environment, each with
 * ports, a data folder and a log of its own (instance a, b, ...). One instance is the embedded mode; two on one Kafka
 * broker are the Kafka mode. An instance killed or stopped is started again on the same ports, so clients and the
 * sandbox's webhooks find it where they expect it.
 */
final class BundleInstances implements AutoCloseable {

    private final BenchSettings s;
    private Map<String, String> env = Map.of();
    private final Path dir;
    private final Duration readyTimeout;
    private final List<BundleJar.Ports> ports = new ArrayList<>();
    private final BundleJar[] running;

    /**
     * Chooses the ports of {@code n} instances; none is started yet. Ports first: the sandbox, started before the
     * bundle, sends its webhooks to one of them.
     */
    BundleInstances(BenchSettings s, int n, Path dir, Duration readyTimeout) {
        this.s = s;
        this.dir = dir;
        this.readyTimeout = readyTimeout;
        this.running = new BundleJar[n];
        for (int i = 0; i < n; i++) {
            ports.add(BundleJar.Ports.free());
        }
    }

    /** The environment every instance is started with (each gets its own INFRASAGE_DATA_DIR when there are several). */
    BundleInstances env(Map<String, String> env) {
        this.env = Map.copyOf(env);
        return this;
    }

    /** Starts every instance that is not running, one after the other (each waits for the previous to be ready). */
    BundleInstances startAll() {
        for (int i = 0; i < running.length; i++) {
            if (running[i] == null || !running[i].alive()) {
                start(i);
            }
        }
        return this;
    }

    /** Starts instance i (again) and waits until it is ready. */
    BundleJar start(int i) {
        Map<String, String> own = new java.util.HashMap<>(env);
        if (running.length > 1) {
            own.put("INFRASAGE_DATA_DIR", dir.resolve("data-" + name(i)).toString());
        }
        running[i] = BundleJar.start(s.projectRoot, s.jar, s.bundleJavaOptions, own, ports.get(i), log(i), readyTimeout);
        return running[i];
    }

    /** SIGKILL: like a node that disappears. */
    void kill(int i) {
        running[i].kill();
    }

    /** SIGTERM: Camel's graceful shutdown. */
    void stop(int i) {
        running[i].stop();
    }

    BundleJar get(int i) {
        return running[i];
    }

    int size() {
        return running.length;
    }

    /** "a", "b", ...: how the report and the logs name instance i. */
    static String name(int i) {
        return Character.toString('a' + i);
    }

    Path log(int i) {
        return dir.resolve(running.length == 1 ? "bundle.log" : "instance-" + name(i) + ".log");
    }

    /** The URL of {@code path} on each instance, in instance order (fixed for the run, whatever restarts). */
    List<URI> urls(String path) {
        return ports.stream().map(p -> URI.create("http://127.0.0.1:" + p.server() + path)).toList();
    }

    List<URI> managementUrls(String path) {
        return ports.stream().map(p -> URI.create("http://127.0.0.1:" + p.management() + path)).toList();
    }

    /** The running instances' process ids, in instance order. */
    List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        for (BundleJar b : running) {
            if (b != null && b.alive()) {
                pids.add(b.pid());
            }
        }
        return pids;
    }

    /** CPU time (user + system) of the running instances' processes, summed, in seconds. */
    double cpuSeconds() {
        double sum = 0;
        for (BundleJar b : running) {
            if (b != null && b.alive()) {
                sum += b.cpuSeconds();
            }
        }
        return sum;
    }

    /** Each running instance's memory, e.g. "a: VmHWM 250 MiB, VmRSS 240 MiB; b: ...". */
    String memory() {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < running.length; i++) {
            if (running[i] != null && running[i].alive()) {
                parts.add(running.length == 1 ? running[i].memory().toString() : name(i) + ": " + running[i].memory());
            }
        }
        return String.join("; ", parts);
    }

    /** The highest peak resident set (VmHWM) of the running instances, in MiB. */
    double peakMiB() {
        double peak = 0;
        for (BundleJar b : running) {
            if (b != null && b.alive()) {
                peak = Math.max(peak, b.memory().peakMiB());
            }
        }
        return peak;
    }

    /** Stops every instance gracefully. */
    @Override
    public void close() {
        for (BundleJar b : running) {
            if (b != null && b.alive()) {
                b.stop();
            }
        }
    }

    /** Kills every instance still running: for a run that failed halfway. */
    void killAll() {
        for (BundleJar b : running) {
            if (b != null && b.alive()) {
                b.kill();
            }
        }
    }
}
