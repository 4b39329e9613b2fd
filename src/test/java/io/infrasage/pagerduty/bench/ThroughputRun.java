package io.infrasage.pagerduty.bench;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.FreePorts;

/**
 * {@code scripts/benchmark.sh} (mode all): start-up time, the HTTP ceiling, accept latency at fixed rates, end-to-end
 * throughput against Alertmanager in the same run, signed webhooks persisted to ClickHouse, and memory under load.
 * The sandbox's and the bundle's rate limits are raised far out of the way here: this mode measures the pipeline.
 * End to end, each side is fed two ways, each with 32 and with 64 connections: one item per POST, and batches of 64
 * per POST (a JSON array; 64 is the batch Prometheus' notifier posts to Alertmanager, and what an InfraSage sender
 * catching up would post to the bundle).
 * <p>
 * {@code scripts/benchmark.sh kafka}: the same pipeline phases against two instances on one Kafka broker
 * ({@code INFRASAGE_QUEUE=kafka}), the load spread over both (request i goes to instance i mod 2, as a round-robin load
 * balancer would send it), CPU time summed over both instances (the broker's reported on its own), and Alertmanager fed
 * batches beside it. The ceiling and webhook phases are left out by default (they do not depend on the queue;
 * {@code BENCH_SKIP=} brings them back).
 * <p>
 * {@code BENCH_PROFILE=1} (JFR) or {@code async} (async-profiler) records the bundle during each end-to-end feed and
 * during the webhook phase ({@link PhaseRecording}) and adds each phase's top frames ({@link JfrTop}) to the report.
 */
final class ThroughputRun {

    private static final int[] RATES = {50, 200, 1000};
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BenchSettings s;
    private final boolean kafka;
    private final int instanceCount;
    private final int stepSeconds = BenchSettings.envInt("BENCH_STEP_SECONDS", 10);
    /** Anomalies (alerts) per end-to-end run fed one per POST. */
    private final int throughputCount = BenchSettings.envInt("BENCH_THROUGHPUT_COUNT", 10_000);
    /** Anomalies (alerts) per end-to-end run fed in batches: more, as 64 connections of 64 hold 4,096 in flight. */
    private final int batchCount = BenchSettings.envInt("BENCH_BATCH_COUNT", 2 * throughputCount);
    private final int batchSize = BenchSettings.envInt("BENCH_BATCH_SIZE", 64);
    /** Connections (requests in flight) of the end-to-end runs and of the ceiling. */
    private final List<Integer> connections = Arrays.stream(BenchSettings.env("BENCH_CONNECTIONS", "32,64").split(","))
            .map(String::trim).filter(c -> !c.isEmpty()).map(Integer::parseInt).toList();
    /** BENCH_PROFILE: null when not profiling. */
    private final PhaseRecording.Profiler profiler = PhaseRecording.Profiler.fromEnv();
    private final Feed single = new Feed("one per POST", "single", 1);
    private final Feed batch = new Feed("batches of " + batchSize, "batch", batchSize);
    private final int webhookCount = BenchSettings.envInt("BENCH_WEBHOOK_COUNT", 30_000);
    private final int webhookConcurrency = BenchSettings.envInt("BENCH_WEBHOOK_CONCURRENCY", 64);
    private final int webhookRate = BenchSettings.envInt("BENCH_WEBHOOK_RATE", 3_000);
    private final List<String> services = Workload.services(BenchSettings.SERVICES);
    /**
     * Phases to leave out, comma-separated: ceiling, pipeline, alertmanager, webhooks; within the pipeline, rates (the
     * open-loop steps), single (fed one per POST), batch (fed in batches). For partial reruns.
     */
    private final List<String> skip;
    private final Report report;
    private LoadGenerator gen;
    private PagerDutySandbox sandbox;
    private BundleInstances bundle;
    private Path jfrDir;
    /** Each profiled phase's summary, added to the report at the end. */
    private final Map<String, List<String>> profiles = new java.util.LinkedHashMap<>();

    /** @param kafka two instances (BENCH_KAFKA_INSTANCES) on the run's Kafka broker instead of one embedded instance */
    ThroughputRun(BenchSettings s, boolean kafka) {
        this.s = s;
        this.kafka = kafka;
        this.instanceCount = kafka ? BenchSettings.envInt("BENCH_KAFKA_INSTANCES", 2) : 1;
        String skipped = System.getenv("BENCH_SKIP");
        this.skip = List.of((skipped != null ? skipped : kafka ? "ceiling,webhooks" : "").split(","));
        this.report = new Report(s.out.resolve(kafka ? "report-kafka.md" : "report-all.md"));
    }

    /**
     * Where load goes and how its deliveries are recognised in the sandbox. Request i goes to {@code urls[i mod n]};
     * {@code item} is one anomaly (alert) as a JSON object; {@code arrayAlways}: even one item is posted in an array
     * (Alertmanager's API); {@code cpuSeconds} sums the target's processes; {@code servers} are the CPU seconds of the
     * servers it keeps its state in (ClickHouse, the Kafka broker), by name, reported on their own.
     */
    private record Target(String name, List<URI> urls, BiFunction<String, String, byte[]> item, boolean arrayAlways,
                          Function<String, String> key, SandboxWatch watch, List<URI> metrics, DoubleSupplier cpuSeconds,
                          Map<String, DoubleSupplier> servers) {
        HttpRequest request(int i, String id, String service) {
            byte[] one = item.apply(id, service);
            return LoadGenerator.post(urls.get(i % urls.size()), arrayAlways ? Workload.jsonArray(List.of(one)) : one, Map.of());
        }

        boolean isBundle() {
            return !metrics.isEmpty();
        }
    }

    /** How a target is fed: {@code size} items per POST; 1 is one object per POST (an array of one for Alertmanager). */
    private record Feed(String name, String tag, int size) {
        boolean batched() {
            return size > 1;
        }
    }

    /**
     * What one load step measured, per item (anomaly or alert): accepted (its POST answered 2xx and, in a 207, its own
     * entry too), delivered, and when; latencies of the POSTs are in {@code result}.
     */
    private record Step(LoadGenerator.Result result, int accepted, int delivered, double[] deliveryMillis, double[] receivedSeconds,
                        long lastReceived) {
    }

    /** One end-to-end run's figures, for the side-by-side table. */
    private record Load(String target, Feed feed, int connections, int items, int delivered, double steady, double overall,
                        double acceptP50, double acceptP99, double deliveryP50, double deliveryP99, double cpuMsPerEvent,
                        double serversCpuMsPerEvent) {
    }

    /** What the pipeline phases of one target measured. */
    private record Pipeline(double deliveryP50At200, double deliveryP99At200, List<Load> loads) {
        Load load(Feed feed, int connections) {
            return loads.stream().filter(l -> l.feed().equals(feed) && l.connections() == connections).findFirst().orElse(null);
        }
    }

    int run() throws Exception {
        Path dir = s.out.resolve((kafka ? "kafka-" : "all-") + s.runId);
        Files.createDirectories(dir);
        report.title(kafka ? "InfraSage PagerDuty bundle: benchmark, Kafka mode (" + instanceCount + " instances, one broker)"
                : "InfraSage PagerDuty bundle: benchmark");
        report.note("ClickHouse " + s.clickHouseVersion() + "; Alertmanager: " + alertmanagerVersion() + "; bundle JVM options: "
                + (s.bundleJavaOptions.isEmpty() ? "(none: JVM defaults)" : String.join(" ", s.bundleJavaOptions))
                + "; logs and data in " + s.projectRoot.relativize(dir) + ".");
        String database = "bench_" + s.runId;
        try (LoadGenerator g = new LoadGenerator();
             PagerDutySandbox sandbox = PagerDutySandbox.builder().rateLimitPerMinute(10_000_000).start()) {
            gen = g;
            this.sandbox = sandbox;
            Map<String, String> env = s.bundleEnv(database, dir.resolve("data"), sandbox.eventsUrl(), sandbox.rootUrl());
            if (kafka) {
                s.withKafka(env);
                report.note(Stats.f("Kafka mode: %d instances, INFRASAGE_QUEUE=kafka, one local broker (%s, scripts/kafka.sh),"
                        + " topics %s*, KAFKA_PARTITIONS=%s, KAFKA_REPLICATION_FACTOR=1; request i goes to instance i mod %d.",
                        instanceCount, s.kafkaBootstrapServers, env.get("KAFKA_TOPIC_PREFIX"), env.get("KAFKA_PARTITIONS"), instanceCount));
            }
            // the pipeline, not the limiter: PagerDuty's per-key pace is what storm mode measures
            env.put("PAGERDUTY_RATE_LIMIT_PER_MINUTE", "10000000");
            env.put("PAGERDUTY_RATE_LIMIT_BURST", "1000000");
            report.note("Sandbox rate limit 10,000,000/min per routing key, bundle PAGERDUTY_RATE_LIMIT_PER_MINUTE=10000000,"
                    + " PAGERDUTY_RATE_LIMIT_BURST=1000000; " + services.size() + " services, one routing key each; no webhook"
                    + " subscription in the sandbox" + (skip.contains("webhooks") ? "." : " (webhooks are measured on their own below)."));

            bundle = readyTimes(dir, env);
            if (profiler != null) {
                jfrDir = Files.createDirectories(dir.resolve("jfr"));
                report.note("BENCH_PROFILE: " + (profiler == PhaseRecording.Profiler.JFR ? "JFR (settings=profile)"
                        : "async-profiler (event=cpu, interval=10ms)") + " records the bundle during each end-to-end feed"
                        + (skip.contains("webhooks") ? "" : " and the webhook phase") + "; recordings in " + s.projectRoot.relativize(jfrDir) + ", top frames at the end. The"
                        + " recording costs CPU and memory of its own: take throughput, CPU and RSS figures from a run without it.");
            }
            try {
                if (!skip.contains("ceiling")) {
                    ceiling(dir);
                }
                if (!skip.contains("pipeline")) {
                    SandboxWatch bundleWatch = SandboxWatch.byDedupKey(sandbox, "infrasage-b" + s.runId);
                    Target bundleTarget = new Target(kafka ? "bundle (" + instanceCount + " instances, Kafka)" : "bundle",
                            bundle.urls("/api/v1/anomalies"), Workload::anomaly, false, Workload::dedupKey, bundleWatch,
                            bundle.managementUrls("/observe/metrics"), bundle::cpuSeconds, servers());
                    Pipeline bundleFigures = pipeline(bundleTarget, "b" + s.runId, !skip.contains("rates"), feeds(List.of(single, batch)));
                    report.figure("bundle memory after the anomaly phases", bundle.memory());
                    // Kafka mode: Alertmanager as it is fed in production only (batches), to keep the run short
                    Pipeline amFigures = skip.contains("alertmanager") ? null
                            : alertmanager(dir, sandbox, !kafka && !skip.contains("rates"), feeds(kafka ? List.of(batch) : List.of(single, batch)));
                    sideBySide(bundleTarget.name(), bundleFigures, amFigures);
                }
                double webhooksPerSecond = Double.NaN;
                if (!skip.contains("webhooks")) {
                    PhaseRecording recording = profiler != null ? PhaseRecording.start(profiler, "webhooks", bundle.pids().subList(0, 1), jfrDir) : null;
                    webhooksPerSecond = webhooks(bundle.get(0), database);
                    profiled("webhooks (all of the phase above, instance " + BundleInstances.name(0) + ")", recording);
                }
                for (int i = 0; i < bundle.size(); i++) {
                    saveMetrics(bundle.get(i), dir.resolve(bundle.size() == 1 ? "bundle-metrics.txt"
                            : "instance-" + BundleInstances.name(i) + "-metrics.txt"));
                }
                double peak = bundle.peakMiB();
                report.section("Memory");
                report.figure("bundle after all phases", bundle.memory());
                report.goal("RSS under load" + (bundle.size() > 1 ? " (each instance)" : ""), "≤ 256 MiB",
                        Stats.f("VmHWM %.0f MiB", peak), peak <= 256);
                if (!Double.isNaN(webhooksPerSecond)) {
                    report.goal("signed webhook deliveries persisted, " + webhookConcurrency + " connections", "≥ 3,000/s",
                            Stats.rate(webhooksPerSecond), webhooksPerSecond >= 3000);
                }
                reportProfiles();
            } finally {
                bundle.close();
            }
        }
        report.write();
        return 0;
    }

    /** The bundle's servers whose process is known: ClickHouse, and the broker in Kafka mode. */
    private Map<String, DoubleSupplier> servers() {
        Map<String, DoubleSupplier> servers = new java.util.LinkedHashMap<>();
        if (s.clickHousePid >= 0) {
            servers.put("ClickHouse server", s::clickHouseCpuSeconds);
        }
        if (kafka && s.kafkaPid >= 0) {
            servers.put("Kafka broker", s::kafkaCpuSeconds);
        }
        return servers;
    }

    private List<Feed> feeds(List<Feed> wanted) {
        return wanted.stream().filter(f -> !skip.contains(f.tag())).toList();
    }

    /** The same phases against Alertmanager, on the same sandbox. */
    private Pipeline alertmanager(Path dir, PagerDutySandbox sandbox, boolean rates, List<Feed> feeds) {
        try (Alertmanager am = Alertmanager.start(dir.resolve("alertmanager"), Alertmanager.config(sandbox.eventsUrl(),
                services, Workload.routingKeys(services.size())), dir.resolve("alertmanager.log"))) {
            Target amTarget = new Target("Alertmanager", List.of(am.url("/api/v2/alerts")), Alertmanager::alert, true, id -> id,
                    SandboxWatch.bySummary(sandbox, "a" + s.runId), List.of(), () -> BundleJar.cpuSeconds(am.pid()), Map.of());
            Pipeline figures = pipeline(amTarget, "a" + s.runId, rates, feeds);
            report.note(am.version() + ".");
            report.figure("Alertmanager memory after its phases", BundleJar.memory(am.pid()).toString());
            return figures;
        }
    }

    /** Stops a phase's recording (if any) and keeps its top frames for the report. */
    private void profiled(String phase, PhaseRecording recording) {
        if (recording == null) {
            return;
        }
        List<Path> files = recording.stop();
        try {
            List<String> summary = new ArrayList<>();
            JfrTop top = JfrTop.of(files);
            // the samples set against the process CPU: with JFR, JIT compilation, GC and native code make the difference
            summary.add(Stats.f("Recordings: %s; %.1f s of process CPU while recording, %d samples (%s: %.1f s).", files.stream()
                    .map(f -> s.projectRoot.relativize(f).toString()).toList(), recording.cpuSeconds(), top.samples(),
                    recording.sampling(), top.samples() / 100.0));
            summary.addAll(top.markdown(25, 15));
            profiles.put(phase, summary);
        } catch (java.io.IOException e) {
            profiles.put(phase, List.of("could not read " + files + ": " + e.getMessage()));
        }
    }

    private void reportProfiles() {
        if (profiles.isEmpty()) {
            return;
        }
        report.section("Where the bundle's CPU went (BENCH_PROFILE: execution samples, self time)");
        profiles.forEach((phase, lines) -> {
            report.subsection(phase);
            lines.forEach(report::note);
        });
    }

    private String alertmanagerVersion() {
        try {
            return Alertmanager.binary();
        } catch (IllegalStateException e) {
            return "missing";
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Embedded: three starts with ClickHouse already up, a fresh database (schema created), then two restarts on it.
     * Kafka: each instance started once, one after the other (the first creates the run's topics and the schema).
     */
    private BundleInstances readyTimes(Path dir, Map<String, String> env) {
        report.section("Start-up: process start to /observe/health 200, ClickHouse" + (kafka ? " and Kafka" : "") + " already up");
        List<Double> times = new ArrayList<>();
        BundleInstances instances = new BundleInstances(s, instanceCount, dir, Duration.ofSeconds(kafka ? 120 : 60)).env(env);
        if (kafka) {
            for (int i = 0; i < instanceCount; i++) {
                double ready = instances.start(i).readyMillis();
                times.add(ready);
                report.figure("instance " + BundleInstances.name(i) + (i == 0 ? " (new database and topics: created)" : ""),
                        Stats.ms(ready));
            }
        } else {
            for (int i = 0; i < 3; i++) {
                if (i > 0) {
                    instances.stop(0);
                }
                double ready = instances.start(0).readyMillis();
                times.add(ready);
                report.figure("start " + (i + 1) + (i == 0 ? " (new database: schema created)" : " (restart, same database and outbox)"),
                        Stats.ms(ready));
            }
        }
        double worst = times.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        double median = times.stream().sorted().toList().get((times.size() - 1) / 2);
        report.goal("ready after start" + (kafka ? " (Kafka mode, each instance)" : ""), "≤ 3 s",
                (kafka ? "best " : "median ") + Stats.ms(median) + ", worst " + Stats.ms(worst), worst <= 3000);
        return instances;
    }

    /** The bare Vert.x responder: what HTTP alone costs on this machine with this generator. */
    private void ceiling(Path dir) throws Exception {
        report.section("HTTP ceiling: bare Vert.x responder answering 202 (same generator, same machine)");
        int port = FreePorts.next();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), BareResponder.class.getName(), Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("responder.log").toFile()));
        Process p = pb.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + port + "/api/v1/anomalies");
            long deadline = System.currentTimeMillis() + 30_000;
            while (gen.closedLoop(i -> LoadGenerator.post(url, new byte[0], Map.of()), 1, 1, Duration.ofSeconds(5)).ok() == 0) {
                if (System.currentTimeMillis() > deadline || !p.isAlive()) {
                    throw new IllegalStateException("the bare responder did not start; see responder.log");
                }
                Thread.sleep(100);
            }
            Target t = new Target("responder", List.of(url), Workload::anomaly, false, id -> id, null, List.of(),
                    () -> BundleJar.cpuSeconds(p.pid()), Map.of());
            gen.closedLoop(i -> t.request(i, "warm-" + i, services.get(i % services.size())), 5_000, connections.get(0),
                    Duration.ofSeconds(60));
            for (int rate : RATES) {
                LoadGenerator.Result r = gen.openLoop(i -> t.request(i, "c" + rate + "-" + i, services.get(i % services.size())),
                        rate * stepSeconds, rate, 5_000, Duration.ofSeconds(stepSeconds + 60));
                report.figure(Stats.f("responder at %d/s for %d s", rate, stepSeconds), Stats.latencies(r.latenciesMillis())
                        + "; " + r.ok() + "/" + r.count + " answered 2xx");
            }
            for (int c : connections) {
                LoadGenerator.Result max = gen.closedLoop(i -> t.request(i, "cmax" + c + "-" + i, services.get(i % services.size())),
                        Math.max(throughputCount * 2, 20_000), c, Duration.ofMinutes(3));
                report.figure(Stats.f("responder, %d in flight (most it answers)", c), Stats.rate(max.throughput())
                        + "; " + Stats.latencies(max.latenciesMillis()));
            }
        } finally {
            p.destroy();
            p.waitFor();
        }
    }

    /**
     * Accept latency at 50, 200 and 1000/s (open loop, one item per POST; left out when {@code rates} is false),
     * delivery latency (submit to the sandbox receiving the event), then end to end with each feed at each connection
     * count: items accepted and delivered per second, and CPU time per delivered event.
     */
    private Pipeline pipeline(Target t, String prefix, boolean rates, List<Feed> feeds) {
        report.section(t.name() + ": anomalies in, PagerDuty events out");
        Step warm = closedStep(t, single, prefix + "w", 1_000, 8);
        report.progress(t.name() + " warm-up: " + warm.delivered() + "/1000 delivered");
        if (feeds.contains(batch)) {
            Step warmBatches = closedStep(t, batch, prefix + "wb", 16 * batchSize, 4);
            report.progress(t.name() + " warm-up in batches: " + warmBatches.delivered() + "/" + 16 * batchSize + " delivered");
        }
        settle(t);
        double[] at200 = {Double.NaN, Double.NaN};
        for (int rate : rates ? RATES : new int[0]) {
            Step step = openStep(t, prefix + "r" + rate + "-", rate, stepSeconds);
            settle(t);
            double[] accept = step.result().latenciesMillis();
            report.figure(Stats.f("%s accept at %d/s for %d s", t.name(), rate, stepSeconds), Stats.latencies(accept) + "; "
                    + step.accepted() + "/" + step.result().count + " accepted" + errors(step.result()));
            report.figure(Stats.f("%s delivery at %d/s (submit to sandbox)", t.name(), rate), Stats.latencies(step.deliveryMillis())
                    + "; " + step.delivered() + "/" + step.accepted() + " delivered");
            if (rate == 200) {
                at200 = new double[] {Stats.percentile(step.deliveryMillis(), 50), Stats.percentile(step.deliveryMillis(), 99)};
                if (t.isBundle()) {
                    double p99 = Stats.percentile(accept, 99);
                    report.goal("accept p99 at 200/s, one per POST" + (kafka ? " (Kafka mode)" : ""), "≤ 10 ms", Stats.ms(p99), p99 <= 10);
                }
            }
        }
        List<Load> loads = new ArrayList<>();
        for (Feed feed : feeds) {
            PhaseRecording recording = profiler != null && t.isBundle()
                    ? PhaseRecording.start(profiler, "anomalies-" + feed.tag(), bundle.pids(), jfrDir) : null;
            for (int c : connections) {
                loads.add(closedLoad(t, feed, prefix + feed.tag().charAt(0) + c + "-", c));
            }
            profiled(Stats.f("%s fed %s, %s connections (%s)", t.name(), feed.name(),
                    String.join(" and ", connections.stream().map(String::valueOf).toList()), t.urls().size() > 1
                    ? "every instance's recording summed" : "whole phase"), recording);
        }
        return new Pipeline(at200[0], at200[1], loads);
    }

    /** One end-to-end run: {@code connections} POSTs in flight of {@code feed}, until idle again. */
    private Load closedLoad(Target t, Feed feed, String prefix, int connections) {
        int items = feed.batched() ? batchCount : throughputCount;
        double cpuBefore = t.cpuSeconds().getAsDouble();
        Map<String, Double> serversBefore = new java.util.HashMap<>();
        t.servers().forEach((name, cpu) -> serversBefore.put(name, cpu.getAsDouble()));
        Step max = closedStep(t, feed, prefix, items, connections);
        // until idle: work an event causes after its delivery (state rows, spool flushes) is part of its cost
        settle(t);
        double cpu = t.cpuSeconds().getAsDouble() - cpuBefore;
        LoadGenerator.Result r = max.result();
        double overall = max.receivedSeconds().length / Math.max(1e-9, (max.lastReceived() - r.startNanos) / 1e9);
        double steady = steadyRate(max.receivedSeconds());
        double[] accept = r.latenciesMillis();
        String what = Stats.f("%s fed %s, %d in flight", t.name(), feed.name(), connections);
        report.figure(Stats.f("%s: %d accepted of %d", what, max.accepted(), items), Stats.rate(max.accepted() / r.seconds())
                + " accepted; accept " + (feed.batched() ? "per POST of " + feed.size() + " " : "") + Stats.latencies(accept)
                + errors(r));
        report.figure(what + ": delivered end to end (first submit to last event in the sandbox)", Stats.rate(overall)
                + " overall, " + Stats.rate(steady) + " steady (10th to 90th percentile of deliveries); " + max.delivered() + "/"
                + max.accepted() + " delivered; delivery " + Stats.latencies(max.deliveryMillis()));
        double cpuMs = max.delivered() == 0 ? Double.NaN : cpu * 1000 / max.delivered();
        report.figure(Stats.f("%s: CPU time per delivered event (user + system from the first POST until idle, %s)", what,
                t.urls().size() > 1 ? "its " + t.urls().size() + " processes summed" : "its own process only"),
                Stats.f("%s (%.1f s for %d)", Stats.ms(cpuMs), cpu, max.delivered()));
        double serversMs = t.servers().isEmpty() ? Double.NaN : 0;
        for (Map.Entry<String, DoubleSupplier> server : t.servers().entrySet()) {
            double used = server.getValue().getAsDouble() - serversBefore.get(server.getKey());
            double ms = max.delivered() == 0 ? Double.NaN : used * 1000 / max.delivered();
            serversMs += ms;
            report.figure(what + ": " + server.getKey() + " CPU time per delivered event (its process, not counted above;"
                    + " its background merges included)", Stats.f("%s (%.1f s)", Stats.ms(ms), used));
        }
        return new Load(t.name(), feed, connections, items, max.delivered(), steady, overall, Stats.percentile(accept, 50),
                Stats.percentile(accept, 99), Stats.percentile(max.deliveryMillis(), 50), Stats.percentile(max.deliveryMillis(), 99),
                cpuMs, serversMs);
    }

    /**
     * Waits (at most 3 minutes) until the target is idle: nothing more reaching the sandbox for a second and, for the
     * bundle, an empty outbox. Requests the generator gave up on (timeouts) are still worked off by the server, and
     * must not be measured as part of the next step.
     */
    private void settle(Target t) {
        long deadline = System.currentTimeMillis() + 180_000;
        int before = sandbox.events().size();
        while (System.currentTimeMillis() < deadline) {
            sleep(1_000);
            int now = sandbox.events().size();
            if (now == before && outboxDepth(t) == 0) {
                return;
            }
            before = now;
        }
        report.progress(t.name() + " still busy after 3 minutes; measuring on");
    }

    /** Events not yet delivered, summed over the target's instances; -1 when one does not answer. */
    private static double outboxDepth(Target t) {
        double depth = 0;
        for (URI metrics : t.metrics()) {
            try {
                String text = java.net.http.HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).GET().build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                depth += text.lines().filter(l -> l.startsWith("infrasage_outbox_depth")).map(l -> l.substring(l.lastIndexOf(' ') + 1))
                        .mapToDouble(Double::parseDouble).findFirst().orElse(0);
            } catch (java.io.IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        return depth;
    }

    /** The bundle's own metrics at the end (ClickHouse batch timings, PagerDuty call latencies), kept next to its log. */
    private static void saveMetrics(BundleJar bundle, Path file) {
        try {
            // bounded: a bundle still busy with a flood's backlog once kept this run waiting for 20 minutes
            String text = java.net.http.HttpClient.newHttpClient().send(HttpRequest.newBuilder(bundle.managementUrl("/observe/metrics"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            Files.writeString(file, text);
        } catch (java.io.IOException e) {
            // only a convenience
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String errors(LoadGenerator.Result r) {
        return r.failed() == 0 ? "" : "; errors " + r.errorSummary();
    }

    /**
     * Every end-to-end run in one table, then the ratios that matter: the bundle against Alertmanager, both fed batches
     * (the goal), and both fed one per POST; delivery latency at 200/s.
     */
    private void sideBySide(String bundleName, Pipeline bundle, Pipeline am) {
        report.section("Side by side, same run, same sandbox: end to end with each feed");
        report.note("| target | fed | connections | delivered of sent | delivered/s steady | delivered/s overall | accept p50 / p99 per POST"
                + " | delivery p50 / p99 | CPU per delivered event, own process | its servers' CPU per event (" + String.join(" + ",
                servers().keySet()) + ") |");
        report.note("|---|---|---:|---:|---:|---:|---|---|---:|---:|");
        for (Pipeline p : am == null ? List.of(bundle) : List.of(bundle, am)) {
            for (Load l : p.loads()) {
                report.note(Stats.f("| %s | %s | %d | %d of %d | %s | %s | %s / %s | %s / %s | %s | %s |", l.target(), l.feed().name(),
                        l.connections(), l.delivered(), l.items(), Stats.rate(l.steady()), Stats.rate(l.overall()),
                        Stats.ms(l.acceptP50()), Stats.ms(l.acceptP99()), Stats.ms(l.deliveryP50()), Stats.ms(l.deliveryP99()),
                        Stats.ms(l.cpuMsPerEvent()), Double.isNaN(l.serversCpuMsPerEvent()) ? "none" : Stats.ms(l.serversCpuMsPerEvent())));
            }
        }
        report.note("");
        List<String> batchedCpu = new ArrayList<>();
        boolean cpuMet = true;
        for (Load l : bundle.loads()) {
            if (l.feed().batched()) {
                batchedCpu.add(Stats.ms(l.cpuMsPerEvent()) + " at " + l.connections() + " connections");
                cpuMet &= l.cpuMsPerEvent() <= 0.5; // false for NaN: nothing delivered
            }
        }
        if (!batchedCpu.isEmpty()) {
            report.goal("bundle CPU per delivered anomaly, fed " + batch.name() + (kafka ? " (Kafka mode, instances summed)" : ""),
                    "≤ 0.5 ms", String.join(", ", batchedCpu), cpuMet);
        }
        if (am == null) {
            return;
        }
        for (Feed feed : List.of(batch, single)) {
            for (int c : connections) {
                Load b = bundle.load(feed, c);
                Load a = am.load(feed, c);
                if (b == null || a == null) {
                    continue;
                }
                double ratio = b.steady() / a.steady();
                report.figure(Stats.f("delivered events/s, both fed %s, %d connections", feed.name(), c), Stats.f(
                        "%s %s steady (%s overall), Alertmanager %s steady (%s overall): ratio %s steady, %s overall",
                        bundleName, Stats.rate(b.steady()), Stats.rate(b.overall()), Stats.rate(a.steady()), Stats.rate(a.overall()),
                        Stats.ratio(ratio), Stats.ratio(b.overall() / a.overall())));
                if (feed.batched()) {
                    report.goal(Stats.f("delivered events/s vs Alertmanager, both fed %s, %d connections%s", feed.name(), c,
                            kafka ? " (Kafka mode)" : ""), "≥ 2×", Stats.f("%s (%s vs %s steady)", Stats.ratio(ratio),
                            Stats.rate(b.steady()), Stats.rate(a.steady())), ratio >= 2);
                }
            }
        }
        if (!Double.isNaN(bundle.deliveryP50At200()) && !Double.isNaN(am.deliveryP50At200())) {
            report.figure("delivery latency at 200/s one per POST, p50", Stats.f("%s %s, Alertmanager %s: ratio %.2f (below 1:"
                    + " the bundle is faster)", bundleName, Stats.ms(bundle.deliveryP50At200()), Stats.ms(am.deliveryP50At200()),
                    bundle.deliveryP50At200() / am.deliveryP50At200()));
            report.figure("delivery latency at 200/s one per POST, p99", Stats.f("%s %s, Alertmanager %s: ratio %.2f", bundleName,
                    Stats.ms(bundle.deliveryP99At200()), Stats.ms(am.deliveryP99At200()), bundle.deliveryP99At200() / am.deliveryP99At200()));
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    private Step openStep(Target t, String prefix, int rate, int seconds) {
        int n = rate * seconds;
        LoadGenerator.Result r = gen.openLoop(i -> t.request(i, prefix + i, services.get(i % services.size())), n, rate, 5_000,
                Duration.ofSeconds(seconds + 60));
        return delivered(t, single, prefix, r, n);
    }

    /** {@code items} anomalies (alerts) fed {@code feed}, POST i holding items i*size to (i+1)*size - 1. */
    private Step closedStep(Target t, Feed feed, String prefix, int items, int inFlight) {
        int posts = (items + feed.size() - 1) / feed.size();
        LoadGenerator.Result r = gen.closedLoop(i -> post(t, feed, prefix, i, items), posts, inFlight, Duration.ofMinutes(5),
                feed.batched());
        return delivered(t, feed, prefix, r, items);
    }

    private HttpRequest post(Target t, Feed feed, String prefix, int request, int items) {
        if (!feed.batched()) {
            return t.request(request, prefix + request, services.get(request % services.size()));
        }
        List<byte[]> batchItems = new ArrayList<>(feed.size());
        for (int k = request * feed.size(); k < Math.min(items, (request + 1) * feed.size()); k++) {
            batchItems.add(t.item().apply(prefix + k, services.get(k % services.size())));
        }
        return LoadGenerator.post(t.urls().get(request % t.urls().size()), Workload.jsonArray(batchItems), Map.of());
    }

    /**
     * Which items were accepted: every item of a POST answered 2xx, except those a 207 (the bundle's batch answer, one
     * entry per item) refuses.
     */
    private static boolean[] acceptedItems(LoadGenerator.Result r, Feed feed, int items) {
        boolean[] accepted = new boolean[items];
        for (int p = 0; p < r.count; p++) {
            int from = p * feed.size();
            int to = Math.min(items, from + feed.size());
            if (r.status[p] == 207 && r.bodies != null && r.bodies[p] != null) {
                try {
                    for (JsonNode item : JSON.readTree(r.bodies[p]).path("items")) {
                        int index = from + item.path("index").asInt(-1);
                        if (index >= from && index < to) {
                            accepted[index] = ok(item.path("http_status").asInt());
                        }
                    }
                } catch (java.io.IOException e) {
                    // an unreadable answer: none of its items counts as accepted
                }
            } else if (ok(r.status[p])) {
                Arrays.fill(accepted, from, to, true);
            }
        }
        return accepted;
    }

    /** Waits (at most 3 minutes) until every accepted item's event reached the sandbox. */
    private Step delivered(Target t, Feed feed, String prefix, LoadGenerator.Result r, int items) {
        boolean[] accepted = acceptedItems(r, feed, items);
        Set<String> keys = new HashSet<>();
        for (int k = 0; k < items; k++) {
            if (accepted[k]) {
                keys.add(t.key().apply(prefix + k));
            }
        }
        int delivered = t.watch().awaitAll(keys, 180_000);
        double[] latencies = new double[keys.size()];
        double[] received = new double[keys.size()];
        int n = 0;
        long last = r.startNanos;
        for (int k = 0; k < items; k++) {
            Long at = accepted[k] ? t.watch().receivedAt(t.key().apply(prefix + k)) : null;
            if (at != null) {
                latencies[n] = (at - r.sent[k / feed.size()]) / 1e6;
                received[n++] = (at - r.startNanos) / 1e9;
                last = Math.max(last, at);
            }
        }
        double[] receivedSeconds = Arrays.copyOf(received, n);
        Arrays.sort(receivedSeconds);
        return new Step(r, keys.size(), delivered, Arrays.copyOf(latencies, n), receivedSeconds, last);
    }

    /** Deliveries per second between the 10th and the 90th percentile delivery: the rate without ramp-up and tail. */
    private static double steadyRate(double[] sortedSeconds) {
        if (sortedSeconds.length < 10) {
            return Double.NaN;
        }
        int lo = (int) (sortedSeconds.length * 0.1);
        int hi = (int) (sortedSeconds.length * 0.9);
        return (hi - lo) / Math.max(1e-9, sortedSeconds[hi] - sortedSeconds[lo]);
    }

    private static boolean ok(int status) {
        return status >= 200 && status < 300;
    }

    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Signed v3 webhooks, persisted to ClickHouse before the bundle answers 200. First one incident.triggered per
     * incident (links 200 incidents to their anomalies in ClickHouse), then status changes on them (acknowledged,
     * reassigned, escalated, unacknowledged) as fast as {@code webhookConcurrency} in flight allows and at a fixed
     * rate, then triggered webhooks for new incidents. The anomalies behind all of them are posted first. Rows are counted afterwards.
     *
     * @return status changes persisted per second with {@code webhookConcurrency} in flight
     */
    private double webhooks(BundleJar bundle, String database) {
        report.section("Signed PagerDuty v3 webhooks persisted to ClickHouse");
        URI url = bundle.url("/api/v1/pagerduty/webhook");
        String run = s.runId;
        int incidents = 200;
        String[] types = {"incident.acknowledged", "incident.reassigned", "incident.escalated", "incident.unacknowledged"};
        String[] statuses = {"acknowledged", "acknowledged", "acknowledged", "triggered"};

        Workload.SignedWebhook forged = Workload.webhook("01F" + run + "1", "incident.acknowledged", incidentId(run, 0), 1,
                anomalyId(run, 0), "acknowledged", "not-the-secret");
        LoadGenerator.Result refused = gen.closedLoop(i -> LoadGenerator.post(url, forged.body(), forged.headers()), 1, 1,
                Duration.ofSeconds(30));
        report.note("Signature check: a body signed with the wrong secret was answered " + refused.status[0]
                + " (expected 401).");

        // The incidents are the bundle's own pages, as in production: each webhook finds its anomaly in the bundle's
        // records. Webhooks for incidents the bundle never paged would each ask ClickHouse whether they are ours.
        int fresh = Math.max(1_000, webhookCount / 10);
        int batch = 64;
        URI anomalies = bundle.url("/api/v1/anomalies");
        LoadGenerator.Result paged = gen.closedLoop(b -> {
            List<byte[]> items = new ArrayList<>();
            for (int i = b * batch; i < Math.min((b + 1) * batch, incidents + fresh); i++) {
                items.add(Workload.anomaly(anomalyId(run, i), services.get(i % services.size())));
            }
            return LoadGenerator.post(anomalies, Workload.jsonArray(items), Map.of());
        }, (incidents + fresh + batch - 1) / batch, 4, Duration.ofMinutes(2));
        report.note("The " + (incidents + fresh) + " anomalies behind the webhooks' incidents were posted first, in batches of " + batch
                + ": " + paged.ok() + "/" + paged.count + " batches answered 2xx.");

        LoadGenerator.Result links = gen.closedLoop(i -> signed(url, run, "T", i, "incident.triggered", i, "triggered"),
                incidents, 16, Duration.ofMinutes(2));
        report.figure(Stats.f("incident.triggered for %d incidents (16 in flight)", incidents), Stats.rate(links.throughput())
                + "; " + Stats.latencies(links.latenciesMillis()) + "; " + links.ok() + "/" + links.count + " answered 200"
                + errors(links));

        LoadGenerator.Result max = gen.closedLoop(i -> signed(url, run, "S", i, types[i % 4], i % incidents, statuses[i % 4]),
                webhookCount, webhookConcurrency, Duration.ofMinutes(5));
        report.figure(Stats.f("status changes, %d deliveries with %d in flight", webhookCount, webhookConcurrency),
                Stats.rate(max.throughput()) + " persisted; " + Stats.latencies(max.latenciesMillis()) + "; " + max.ok() + "/"
                        + max.count + " answered 200" + errors(max));

        int fixed = webhookRate * stepSeconds;
        LoadGenerator.Result atRate = gen.openLoop(i -> signed(url, run, "R", i, types[i % 4], i % incidents, statuses[i % 4]),
                fixed, webhookRate, 5_000, Duration.ofSeconds(stepSeconds + 60));
        report.figure(Stats.f("status changes offered at %d/s for %d s (open loop)", webhookRate, stepSeconds),
                Stats.rate(atRate.throughput()) + " persisted; " + Stats.latencies(atRate.latenciesMillis()) + "; " + atRate.ok()
                        + "/" + atRate.count + " answered 200" + errors(atRate));

        LoadGenerator.Result news = gen.closedLoop(i -> signed(url, run, "N", i, "incident.triggered", incidents + i, "triggered"),
                fresh, webhookConcurrency, Duration.ofMinutes(5));
        report.figure(Stats.f("incident.triggered for %d new incidents, %d in flight", fresh, webhookConcurrency),
                Stats.rate(news.throughput()) + " persisted; " + Stats.latencies(news.latenciesMillis()) + "; " + news.ok() + "/"
                        + news.count + " answered 200" + errors(news));

        long answered = (long) links.ok() + max.ok() + atRate.ok() + news.ok();
        String rows = s.clickHouse("SELECT count(), uniqExact(event_id) FROM " + database + ".webhook_deliveries WHERE event_id LIKE '01B"
                + run + "%' FORMAT TSV");
        report.figure("rows in " + database + ".webhook_deliveries afterwards (count, distinct event ids)", rows.replace('\t', ' ')
                + " for " + answered + " deliveries answered 200");
        return max.throughput();
    }

    private static HttpRequest signed(URI url, String run, String phase, int i, String type, int incident, String status) {
        Workload.SignedWebhook w = Workload.webhook(Stats.f("01B%s%s%09d", run, phase, i), type, incidentId(run, incident),
                incident + 1, anomalyId(run, incident), status, BenchSettings.WEBHOOK_SECRET);
        return LoadGenerator.post(url, w.body(), w.headers());
    }

    private static String incidentId(String run, int i) {
        return Stats.f("Q%s%07d", run.toUpperCase(), i);
    }

    private static String anomalyId(String run, int i) {
        return "wh" + run + "-" + i;
    }
}
