package io.infrasage.pagerduty.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.WebhookAttempt;

/**
 * {@code scripts/benchmark.sh storm}: 10,000 anomalies over 20 services (20 routing keys) posted within 30 s, against a
 * sandbox that enforces PagerDuty's 120 events per minute per routing key, with the bundle at its default pace
 * (PAGERDUTY_RATE_LIMIT_PER_MINUTE=120, BURST=10). The sandbox sends its incident.triggered webhooks back, as
 * PagerDuty would. Verdict: nothing lost, no duplicate incident, no 429 left unretried, and how long the drain took
 * against the least the limit allows.
 */
final class StormRun {

    private final BenchSettings s;
    private final int count = BenchSettings.envInt("BENCH_STORM_COUNT", 10_000);
    private final int seconds = BenchSettings.envInt("BENCH_STORM_SECONDS", 25);
    private final int limit = BenchSettings.envInt("BENCH_STORM_SANDBOX_LIMIT", 120);
    private final int timeoutSeconds = BenchSettings.envInt("BENCH_STORM_TIMEOUT_SECONDS", 900);
    private final Report report;

    StormRun(BenchSettings s) {
        this.s = s;
        this.report = new Report(s.out.resolve("report-storm.md"));
    }

    int run() throws Exception {
        Path dir = s.out.resolve("storm-" + s.runId);
        Files.createDirectories(dir);
        int services = BenchSettings.SERVICES;
        List<String> names = Workload.services(services);
        report.title("InfraSage PagerDuty bundle: storm");
        report.note(Stats.f("%,d anomalies over %d services (one routing key each) offered at %d/s (%d s); sandbox limit %d events"
                + " per minute per routing key; bundle at its defaults (PAGERDUTY_RATE_LIMIT_PER_MINUTE=120, BURST=10, retries"
                + " as shipped); the sandbox sends incident.triggered webhooks back to the bundle. Bundle JVM options: %s.",
                count, services, count / seconds, seconds, limit, String.join(" ", s.bundleJavaOptions)));
        String database = "storm_" + s.runId;
        BundleJar.Ports ports = BundleJar.Ports.free();
        try (LoadGenerator gen = new LoadGenerator();
             PagerDutySandbox sandbox = PagerDutySandbox.builder().rateLimitPerMinute(limit)
                     .webhook("http://127.0.0.1:" + ports.server() + "/api/v1/pagerduty/webhook", List.of(BenchSettings.WEBHOOK_SECRET))
                     .start()) {
            Map<String, String> env = s.bundleEnv(database, dir.resolve("data"), sandbox.eventsUrl(), sandbox.rootUrl());
            try (BundleJar bundle = BundleJar.start(s.projectRoot, s.jar, s.bundleJavaOptions, env, ports, dir.resolve("bundle.log"),
                    Duration.ofSeconds(60))) {
                report.figure("bundle ready after", Stats.ms(bundle.readyMillis()));
                String prefix = "s" + s.runId + "-";
                double rate = (double) count / seconds;
                LoadGenerator.Result r = gen.openLoop(i -> LoadGenerator.post(bundle.url("/api/v1/anomalies"),
                        Workload.anomaly(prefix + i, names.get(i % services)), Map.of()), count, rate, 5_000,
                        Duration.ofSeconds(seconds + 60));
                Set<String> keys = new HashSet<>();
                List<Integer> refused = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    if (r.status[i] >= 200 && r.status[i] < 300) {
                        keys.add(Workload.dedupKey(prefix + i));
                    } else {
                        refused.add(i);
                    }
                }
                double postedIn = (maxSent(r) - r.startNanos) / 1e9;
                report.section("Accepting the storm");
                report.figure(Stats.f("posted %,d anomalies in", count), Stats.f("%.1f s; %d accepted at the first attempt", postedIn,
                        keys.size()) + (r.failed() == 0 ? "" : "; others: " + r.errorSummary()));
                report.figure("accept latency during the storm (first attempts answered 2xx)", Stats.latencies(r.latenciesMillis()));
                // what InfraSage does with a 503 (load shed) or no answer: post again a second later, until accepted
                int round = 0;
                while (!refused.isEmpty() && round < 60) {
                    round++;
                    Thread.sleep(1_000);
                    List<Integer> batch = List.copyOf(refused);
                    LoadGenerator.Result again = gen.closedLoop(j -> LoadGenerator.post(bundle.url("/api/v1/anomalies"),
                            Workload.anomaly(prefix + batch.get(j), names.get(batch.get(j) % services)), Map.of()), batch.size(), 32,
                            Duration.ofSeconds(60));
                    refused.clear();
                    for (int j = 0; j < batch.size(); j++) {
                        if (again.status[j] >= 200 && again.status[j] < 300) {
                            keys.add(Workload.dedupKey(prefix + batch.get(j)));
                        } else {
                            refused.add(batch.get(j));
                        }
                    }
                }
                double allAcceptedAfter = (BenchClock.nanos() - r.startNanos) / 1e9;
                if (round > 0) {
                    report.figure("posted again a second after a refusal, as InfraSage retries", Stats.f("%d round(s); %,d/%,d accepted"
                            + " %.1f s after the first post", round, keys.size(), count, allAcceptedAfter));
                }
                report.figure("bundle memory after accepting", bundle.memory().toString());

                SandboxWatch watch = SandboxWatch.byDedupKey(sandbox, "infrasage-" + prefix);
                long deadline = System.currentTimeMillis() + timeoutSeconds * 1000L;
                long nextProgress = 0;
                int delivered = 0;
                while (System.currentTimeMillis() < deadline) {
                    delivered = watch.awaitAll(keys, 1_000);
                    if (delivered == keys.size()) {
                        break;
                    }
                    if (System.currentTimeMillis() > nextProgress) {
                        report.progress(Stats.f("%,d/%,d delivered after %.0f s, %d answered 429, bundle %s", delivered, keys.size(),
                                (BenchClock.nanos() - r.startNanos) / 1e9, sandbox.faults().statusCount(429), bundle.memory()));
                        nextProgress = System.currentTimeMillis() + 15_000;
                    }
                }
                BundleJar.Memory memory = bundle.memory();
                sandbox.awaitWebhooksIdle(Duration.ofSeconds(60));

                report.section("Draining at PagerDuty's pace");
                Deliveries d = new Deliveries(sandbox, keys, Set.of());
                double drain = d.lastIngested == null ? Double.NaN : (BenchClock.fromWall(d.lastIngested) - r.startNanos) / 1e9;
                double minimum = (double) keys.size() / (services * limit) * 60;
                int perKey = (int) Math.ceil((double) keys.size() / services);
                double bucket = perKey <= 10 ? 0 : (perKey - 10) / (120.0 - 10) * 60;
                report.figure("drain time (first anomaly posted to last incident created)", Stats.f("%.0f s = %.2f min", drain, drain / 60));
                report.figure("least the limit allows", Stats.f("%.0f s = %.2f min (%,d / (%d keys × %d/min)); the bundle's own pace"
                        + " (burst 10, then 110 a minute per key, and no send while 120 are in flight or answered within 60 s)"
                        + " needs %.0f s = %.2f min", minimum, minimum / 60,
                        keys.size(), services, limit, bucket, bucket / 60));
                report.figure("drain time / least allowed", Stats.f("%.2f", drain / minimum));
                d.report(report);
                report.figure("bundle memory at the end of the drain", memory.toString());
                List<WebhookAttempt> attempts = sandbox.webhookAttempts();
                long webhookOk = attempts.stream().filter(a -> a.status() >= 200 && a.status() < 300).count();
                report.figure("incident.triggered webhooks back to the bundle: attempts / answered 2xx / subscriptions disabled",
                        attempts.size() + " / " + webhookOk + " / " + sandbox.disabledWebhookSubscriptions().size());
                report.figure("webhook deliveries persisted in ClickHouse", s.clickHouse("SELECT uniqExact(event_id) FROM " + database
                        + ".webhook_deliveries FORMAT TSV"));
                boolean clean = d.clean() && keys.size() == count && delivered == keys.size();
                report.goal("storm: lost", "0", Integer.toString(d.lost + (count - keys.size())), d.lost == 0 && keys.size() == count);
                report.goal("storm: duplicate incidents", "0", Integer.toString(d.duplicateIncidents), d.duplicateIncidents == 0);
                report.goal("storm: 429 left unretried", "0", Integer.toString(d.throttledUnretried), d.throttledUnretried == 0);
                report.goal("storm: drain time", Stats.f("close to %.1f min", minimum / 60), Stats.f("%.2f min", drain / 60),
                        drain <= minimum * 1.25);
                report.write();
                return clean ? 0 : 1;
            }
        }
    }

    private static long maxSent(LoadGenerator.Result r) {
        long max = r.startNanos;
        for (long t : r.sent) {
            max = Math.max(max, t);
        }
        return max;
    }
}
