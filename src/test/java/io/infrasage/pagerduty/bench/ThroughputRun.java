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

import io.infrasage.pagerduty.sandbox.PagerDutySandbox;

/**
 * {@code scripts/benchmark.sh} (mode all): start-up time, the HTTP ceiling, accept latency at fixed rates, end-to-end
 * throughput against Alertmanager in the same run, signed webhooks persisted to ClickHouse, and memory under load.
 * The sandbox's and the bundle's rate limits are raised far out of the way here: this mode measures the pipeline.
 * <p>
 * {@code scripts/benchmark.sh kafka}: the same pipeline phases against two instances on one Kafka broker
 * ({@code INFRASAGE_QUEUE=kafka}), the load spread over both (request i goes to instance i mod 2, as a round-robin load
 * balancer would send it), CPU time summed over both instances (the broker's reported on its own). The ceiling,
 * Alertmanager and webhook phases are left out by default (they do not depend on the queue; {@code BENCH_SKIP=} brings
 * them back).
 */
final class ThroughputRun {

    private static final int[] RATES = {50, 200, 1000};

    private final BenchSettings s;
    private final boolean kafka;
    private final int instanceCount;
    private final int stepSeconds = BenchSettings.envInt("BENCH_STEP_SECONDS", 10);
    private final int throughputCount = BenchSettings.envInt("BENCH_THROUGHPUT_COUNT", 10_000);
    private final int concurrency = BenchSettings.envInt("BENCH_CONCURRENCY", 32);
    private final int webhookCount = BenchSettings.envInt("BENCH_WEBHOOK_COUNT", 30_000);
    private final int webhookConcurrency = BenchSettings.envInt("BENCH_WEBHOOK_CONCURRENCY", 64);
    private final int webhookRate = BenchSettings.envInt("BENCH_WEBHOOK_RATE", 3_000);
    private final List<String> services = Workload.services(BenchSettings.SERVICES);
    /** Phases to leave out, comma-separated (ceiling, pipeline, alertmanager, webhooks): for partial reruns. */
    private final List<String> skip;
    private final Report report;
    private LoadGenerator gen;
    private PagerDutySandbox sandbox;

    /** @param kafka two instances (BENCH_KAFKA_INSTANCES) on the run's Kafka broker instead of one embedded instance */
    ThroughputRun(BenchSettings s, boolean kafka) {
        this.s = s;
        this.kafka = kafka;
        this.instanceCount = kafka ? BenchSettings.envInt("BENCH_KAFKA_INSTANCES", 2) : 1;
        String skipped = System.getenv("BENCH_SKIP");
        this.skip = List.of((skipped != null ? skipped : kafka ? "ceiling,alertmanager,webhooks" : "").split(","));
        this.report = new Report(s.out.resolve(kafka ? "report-kafka.md" : "report-all.md"));
    }

    /**
     * Where load goes and how its deliveries are recognised in the sandbox. Request i goes to {@code urls[i mod n]};
     * {@code cpuSeconds} sums the target's processes; {@code brokerCpuSeconds} is the Kafka broker's, or null.
     */
    private record Target(String name, List<URI> urls, BiFunction<String, String, byte[]> body, Function<String, String> key,
                          SandboxWatch watch, List<URI> metrics, DoubleSupplier cpuSeconds, DoubleSupplier brokerCpuSeconds) {
        HttpRequest request(int i, String id, String service) {
            return LoadGenerator.post(urls.get(i % urls.size()), body.apply(id, service), Map.of());
        }

        boolean isBundle() {
            return !metrics.isEmpty();
        }
    }

    /** What one load step measured. */
    private record Step(LoadGenerator.Result result, int accepted, int delivered, double[] deliveryMillis, long lastReceived) {
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

            BundleInstances bundle = readyTimes(dir, env);
            try {
                if (!skip.contains("ceiling")) {
                    ceiling(dir);
                }
                if (!skip.contains("pipeline")) {
                    SandboxWatch bundleWatch = SandboxWatch.byDedupKey(sandbox, "infrasage-b" + s.runId);
                    Target bundleTarget = new Target(kafka ? "bundle (" + instanceCount + " instances, Kafka)" : "bundle",
                            bundle.urls("/api/v1/anomalies"), Workload::anomaly, Workload::dedupKey, bundleWatch,
                            bundle.managementUrls("/observe/metrics"), bundle::cpuSeconds, kafka ? s::kafkaCpuSeconds : null);
                    double[] bundleFigures = pipeline(bundleTarget, "b" + s.runId);
                    report.figure("bundle memory after the anomaly phases", bundle.memory());
                    double[] amFigures = skip.contains("alertmanager") ? null : alertmanager(dir, sandbox);
                    if (amFigures != null) {
                        compare(bundleFigures, amFigures);
                    }
                }
                double webhooksPerSecond = skip.contains("webhooks") ? Double.NaN : webhooks(bundle.get(0), database);
                for (int i = 0; i < bundle.size(); i++) {
                    saveMetrics(bundle.get(i), dir.resolve(bundle.size() == 1 ? "bundle-metrics.txt"
                            : "instance-" + BundleInstances.name(i) + "-metrics.txt"));
                }
                double peak = bundle.peakMiB();
                report.section("Memory");
                report.figure("bundle after all phases", bundle.memory());
                report.goal("RSS under load" + (bundle.size() > 1 ? " (each instance)" : ""), "≤ 300 MB",
                        Stats.f("VmHWM %.0f MiB", peak), peak <= 300);
                if (!Double.isNaN(webhooksPerSecond)) {
                    report.goal("signed webhook deliveries persisted", "≥ 3,000/s", Stats.rate(webhooksPerSecond), webhooksPerSecond >= 3000);
                }
            } finally {
                bundle.close();
            }
        }
        report.write();
        return 0;
    }

    /** The same phases against Alertmanager, on the same sandbox. */
    private double[] alertmanager(Path dir, PagerDutySandbox sandbox) {
        try (Alertmanager am = Alertmanager.start(dir.resolve("alertmanager"), Alertmanager.config(sandbox.eventsUrl(),
                services, Workload.routingKeys(services.size())), dir.resolve("alertmanager.log"))) {
            Target amTarget = new Target("Alertmanager", List.of(am.url("/api/v2/alerts")), Alertmanager::alert, id -> id,
                    SandboxWatch.bySummary(sandbox, "a" + s.runId), List.of(), () -> BundleJar.cpuSeconds(am.pid()), null);
            double[] figures = pipeline(amTarget, "a" + s.runId);
            report.figure("Alertmanager memory after its phases", BundleJar.memory(am.pid()).toString());
            return figures;
        }
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
        int port = BundleJar.freePort();
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
            Target t = new Target("responder", List.of(url), Workload::anomaly, id -> id, null, List.of(), () -> BundleJar.cpuSeconds(p.pid()), null);
            gen.closedLoop(i -> t.request(i, "warm-" + i, services.get(i % services.size())), 5_000, concurrency, Duration.ofSeconds(60));
            for (int rate : RATES) {
                LoadGenerator.Result r = gen.openLoop(i -> t.request(i, "c" + rate + "-" + i, services.get(i % services.size())),
                        rate * stepSeconds, rate, 5_000, Duration.ofSeconds(stepSeconds + 60));
                report.figure(Stats.f("responder at %d/s for %d s", rate, stepSeconds), Stats.latencies(r.latenciesMillis())
                        + "; " + r.ok() + "/" + r.count + " answered 2xx");
            }
            LoadGenerator.Result max = gen.closedLoop(i -> t.request(i, "cmax-" + i, services.get(i % services.size())),
                    Math.max(throughputCount * 2, 20_000), concurrency, Duration.ofMinutes(3));
            report.figure(Stats.f("responder, %d in flight (most it answers)", concurrency), Stats.rate(max.throughput())
                    + "; " + Stats.latencies(max.latenciesMillis()));
        } finally {
            p.destroy();
            p.waitFor();
        }
    }

    /**
     * Accept latency at 50, 200 and 1000/s (open loop), delivery latency (submit to the sandbox receiving the event),
     * then end-to-end throughput with {@code concurrency} requests in flight.
     *
     * @return {delivered events/s end to end (steady), delivery p50 ms at 200/s, delivery p99 ms at 200/s}
     */
    private double[] pipeline(Target t, String prefix) {
        report.section(t.name() + ": anomalies in, PagerDuty events out");
        Step warm = closedStep(t, prefix + "w", 1_000, 8);
        report.progress(t.name() + " warm-up: " + warm.delivered() + "/1000 delivered");
        settle(t);
        double[] at200 = {Double.NaN, Double.NaN};
        for (int rate : RATES) {
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
                    report.goal("accept p99 at 200/s" + (kafka ? " (Kafka mode)" : ""), "≤ 10 ms", Stats.ms(p99), p99 <= 10);
                }
            }
        }
        double cpuBefore = t.cpuSeconds().getAsDouble();
        double brokerBefore = t.brokerCpuSeconds() == null ? Double.NaN : t.brokerCpuSeconds().getAsDouble();
        Step max = closedStep(t, prefix + "t", throughputCount, concurrency);
        double cpu = t.cpuSeconds().getAsDouble() - cpuBefore;
        double brokerCpu = t.brokerCpuSeconds() == null ? Double.NaN : t.brokerCpuSeconds().getAsDouble() - brokerBefore;
        LoadGenerator.Result r = max.result();
        double[] received = receivedTimesSeconds(max, t, prefix + "t");
        double overall = received.length / Math.max(1e-9, (max.lastReceived() - r.startNanos) / 1e9);
        double steady = steadyRate(received);
        report.figure(Stats.f("%s accepted, %d anomalies with %d in flight", t.name(), throughputCount, concurrency),
                Stats.rate(r.throughput()) + "; accept " + Stats.latencies(r.latenciesMillis()) + errors(r));
        report.figure(Stats.f("%s delivered end to end (first submit to last event in the sandbox)", t.name()),
                Stats.rate(overall) + " overall, " + Stats.rate(steady) + " steady (10th to 90th percentile of deliveries); "
                        + max.delivered() + "/" + max.accepted() + " delivered; delivery " + Stats.latencies(max.deliveryMillis()));
        report.figure(Stats.f("%s CPU time per anomaly in that phase (user + system, %s)", t.name(),
                t.urls().size() > 1 ? "its " + t.urls().size() + " processes summed" : "its own process only"),
                Stats.f("%.2f ms (%.1f s for %d)", cpu * 1000 / Math.max(1, max.delivered()), cpu, max.delivered()));
        if (!Double.isNaN(brokerCpu)) {
            report.figure("Kafka broker CPU time per anomaly in that phase (its JVM, not counted above)",
                    Stats.f("%.2f ms (%.1f s)", brokerCpu * 1000 / Math.max(1, max.delivered()), brokerCpu));
        }
        return new double[] {steady, at200[0], at200[1], overall};
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

    private void compare(double[] bundle, double[] am) {
        report.section("Bundle / Alertmanager, same run, same sandbox");
        double throughputRatio = bundle[0] / am[0];
        report.figure("delivered events/s, steady", Stats.f("bundle %s, Alertmanager %s: ratio %.2f", Stats.rate(bundle[0]),
                Stats.rate(am[0]), throughputRatio));
        report.figure("delivered events/s, overall", Stats.f("bundle %s, Alertmanager %s: ratio %.2f", Stats.rate(bundle[3]),
                Stats.rate(am[3]), bundle[3] / am[3]));
        report.figure("delivery latency at 200/s, p50", Stats.f("bundle %s, Alertmanager %s: ratio %.2f (below 1: the bundle is faster)",
                Stats.ms(bundle[1]), Stats.ms(am[1]), bundle[1] / am[1]));
        report.figure("delivery latency at 200/s, p99", Stats.f("bundle %s, Alertmanager %s: ratio %.2f",
                Stats.ms(bundle[2]), Stats.ms(am[2]), bundle[2] / am[2]));
        report.goal("delivered events/s vs Alertmanager", "≥ 2×", Stats.f("%.2f× (%s vs %s)", throughputRatio,
                Stats.rate(bundle[0]), Stats.rate(am[0])), throughputRatio >= 2);
    }

    // ---------------------------------------------------------------------------------------------------------------

    private Step openStep(Target t, String prefix, int rate, int seconds) {
        int n = rate * seconds;
        LoadGenerator.Result r = gen.openLoop(i -> t.request(i, prefix + i, services.get(i % services.size())), n, rate, 5_000,
                Duration.ofSeconds(seconds + 60));
        return delivered(t, prefix, r);
    }

    private Step closedStep(Target t, String prefix, int n, int inFlight) {
        LoadGenerator.Result r = gen.closedLoop(i -> t.request(i, prefix + i, services.get(i % services.size())), n, inFlight,
                Duration.ofMinutes(5));
        return delivered(t, prefix, r);
    }

    /** Waits (at most 3 minutes) until every accepted request's event reached the sandbox. */
    private Step delivered(Target t, String prefix, LoadGenerator.Result r) {
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < r.count; i++) {
            if (ok(r.status[i])) {
                keys.add(t.key().apply(prefix + i));
            }
        }
        int delivered = t.watch().awaitAll(keys, 180_000);
        double[] latencies = new double[delivered];
        int n = 0;
        long last = r.startNanos;
        for (int i = 0; i < r.count; i++) {
            Long at = ok(r.status[i]) ? t.watch().receivedAt(t.key().apply(prefix + i)) : null;
            if (at != null) {
                latencies[n++] = (at - r.sent[i]) / 1e6;
                last = Math.max(last, at);
            }
        }
        return new Step(r, keys.size(), delivered, Arrays.copyOf(latencies, n), last);
    }

    private static double[] receivedTimesSeconds(Step step, Target t, String prefix) {
        LoadGenerator.Result r = step.result();
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < r.count; i++) {
            Long at = ok(r.status[i]) ? t.watch().receivedAt(t.key().apply(prefix + i)) : null;
            if (at != null) {
                times.add((at - r.startNanos) / 1e9);
            }
        }
        return times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
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
     * rate, then triggered webhooks for new incidents (each needs a ClickHouse lookup). Rows are counted afterwards.
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

        int fresh = Math.max(1_000, webhookCount / 10);
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
