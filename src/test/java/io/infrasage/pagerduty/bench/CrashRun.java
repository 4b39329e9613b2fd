package io.infrasage.pagerduty.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.infrasage.pagerduty.sandbox.PagerDutySandbox;

/**
 * {@code scripts/benchmark.sh crash}: kill -9 the bundle several times while a (shorter) storm is accepted and
 * delivered, and while PagerDuty is down, restarting it each time on the same INFRASAGE_DATA_DIR. The client behaves like
 * InfraSage: it posts each anomaly (and, for every fourth one, its resolve a little later) in order and retries until it
 * gets a 2xx, so a kill only delays it. Verdict: every accepted anomaly paged exactly once (one incident per dedup
 * key), every accepted resolve delivered after its trigger, nothing resolved that was not asked for.
 * <p>
 * {@code scripts/benchmark.sh kafka-crash}: the same storm against two instances on one Kafka broker, spread over both
 * as a round-robin load balancer would (anomaly i to instance i mod 2, its resolve to the other one; a request that gets
 * no 2xx is retried at the next instance). Instance b is killed with kill -9 during the storm and started again (as a
 * platform replaces a pod), then killed again during the PagerDuty outage and left dead: instance a must take its
 * partitions and deliver everything b had accepted once PagerDuty is back. Same verdict, plus the 429s at the sandbox,
 * which allows as many events per minute per routing key as the bundle's pace (one pace per key across instances).
 * The sandbox's webhooks go to instance a, which is never killed (a load balancer would send them to a live one).
 */
final class CrashRun {

    private final BenchSettings s;
    private final boolean kafka;
    private final int count = BenchSettings.envInt("BENCH_CRASH_COUNT", 4_000);
    private final int rate = BenchSettings.envInt("BENCH_CRASH_RATE", 200);
    private final int limit = BenchSettings.envInt("BENCH_CRASH_SANDBOX_LIMIT", 300);
    private final int posters = BenchSettings.envInt("BENCH_CRASH_POSTERS", 16);
    private final Report report;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<String> log = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger failedOver = new java.util.concurrent.atomic.AtomicInteger();
    private BundleInstances bundle;
    private List<URI> anomalies;
    private int kills;

    /** @param kafka two instances on the run's Kafka broker, one of them killed, instead of one embedded instance */
    CrashRun(BenchSettings s, boolean kafka) {
        this.s = s;
        this.kafka = kafka;
        this.report = new Report(s.out.resolve(kafka ? "report-kafka-crash.md" : "report-crash.md"));
    }

    int run() throws Exception {
        Path dir = s.out.resolve((kafka ? "kafka-crash-" : "crash-") + s.runId);
        Files.createDirectories(dir);
        List<String> names = Workload.services(BenchSettings.SERVICES);
        report.title(kafka ? "InfraSage PagerDuty bundle, Kafka mode: kill -9 one of two instances during a storm and during a PagerDuty outage"
                : "InfraSage PagerDuty bundle: kill -9 during a storm and during a PagerDuty outage");
        report.note(Stats.f("A shorter storm, to keep this mode to a few minutes: %,d anomalies over %d services due at %d/s from"
                + " %d concurrent posters that retry until accepted, every fourth one resolved by a runbook 20 of its poster's posts later; sandbox limit %d events per minute per routing key,"
                + " bundle PAGERDUTY_RATE_LIMIT_PER_MINUTE=%d, BURST=10, PAGERDUTY_RETRY_INITIAL_DELAY=200ms,"
                + " PAGERDUTY_RETRY_MAX_DELAY=2s, PAGERDUTY_RETRY_THROTTLED_DELAY=2s; the sandbox sends its webhooks back."
                + " Bundle JVM options: %s.", count, names.size(), rate, posters, limit, limit, String.join(" ", s.bundleJavaOptions)));
        String database = "crash_" + s.runId;
        ExecutorService chaos = Executors.newSingleThreadExecutor();
        ExecutorService platform = Executors.newSingleThreadExecutor();
        // the sandbox's URLs are added once it runs (it needs the webhook URL, so the instances' ports, first)
        Map<String, String> env = s.bundleEnv(database, dir.resolve("data"), "http://unused", "http://unused");
        if (kafka) {
            s.withKafka(env);
            report.note(Stats.f("Kafka mode: 2 instances, INFRASAGE_QUEUE=kafka, one local broker (%s), KAFKA_PARTITIONS=%s,"
                    + " KAFKA_REPLICATION_FACTOR=1; anomaly i posted to instance i mod 2 and its resolve to the other one, a"
                    + " request without a 2xx retried at the next instance. Webhooks go to instance a, which is never killed.",
                    s.kafkaBootstrapServers, env.get("KAFKA_PARTITIONS")));
        }
        bundle = new BundleInstances(s, kafka ? 2 : 1, dir, Duration.ofSeconds(kafka ? 120 : 60));
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().rateLimitPerMinute(limit)
                .webhook(bundle.urls("/api/v1/pagerduty/webhook").get(0).toString(), List.of(BenchSettings.WEBHOOK_SECRET))
                .start()) {
            Map<String, String> withSandbox = new java.util.HashMap<>(env);
            withSandbox.put("PAGERDUTY_EVENTS_URL", sandbox.eventsUrl());
            withSandbox.put("PAGERDUTY_API_URL", sandbox.rootUrl());
            withSandbox.put("PAGERDUTY_RATE_LIMIT_PER_MINUTE", Integer.toString(limit));
            withSandbox.put("PAGERDUTY_RATE_LIMIT_BURST", "10");
            withSandbox.put("PAGERDUTY_RETRY_INITIAL_DELAY", "200ms");
            withSandbox.put("PAGERDUTY_RETRY_MAX_DELAY", "2s");
            withSandbox.put("PAGERDUTY_RETRY_THROTTLED_DELAY", "2s");
            bundle.env(withSandbox).startAll();
            anomalies = bundle.urls("/api/v1/anomalies");
            String prefix = "k" + s.runId + "-";
            Set<String> accepted = java.util.Collections.synchronizedSet(new LinkedHashSet<>());
            Set<String> resolved = java.util.Collections.synchronizedSet(new LinkedHashSet<>());
            // embedded: the only instance, killed and restarted on the same data folder; Kafka: instance b
            int victim = bundle.size() - 1;
            String victimName = kafka ? "instance " + BundleInstances.name(victim) : "the bundle";
            Runnable restart = () -> {
                kills++;
                bundle.kill(victim);
                long t0 = System.nanoTime();
                bundle.start(victim);
                event(Stats.f("kill -9 #%d of %s, restarted and ready after %.0f ms", kills, victimName, (System.nanoTime() - t0) / 1e6));
            };
            // Kafka: the survivor works on while the platform replaces the killed instance, so its start must not hold
            // back the next step (PagerDuty going down); only the next kill of the same instance waits for it
            List<Future<?>> replacements = java.util.Collections.synchronizedList(new ArrayList<>());
            Runnable killAndReplace = () -> {
                kills++;
                int kill = kills;
                bundle.kill(victim);
                event(Stats.f("kill -9 #%d of %s; the platform starts it again", kill, victimName));
                long t0 = System.nanoTime();
                replacements.add(platform.submit(() -> {
                    bundle.start(victim);
                    event(Stats.f("%s started again after kill -9 #%d, ready after %.0f ms", victimName, kill, (System.nanoTime() - t0) / 1e6));
                }));
            };
            Runnable killForGood = () -> {
                for (Future<?> f : List.copyOf(replacements)) {
                    try {
                        f.get(2, TimeUnit.MINUTES);
                    } catch (Exception e) {
                        throw new IllegalStateException("the killed instance did not start again: " + e, e);
                    }
                }
                kills++;
                bundle.kill(victim);
                event(Stats.f("kill -9 #%d of %s, left dead: the survivor takes its partitions", kills, victimName));
            };
            Runnable down = () -> {
                sandbox.faults().down();
                event("PagerDuty down (sandbox stops listening)");
            };
            Map<Integer, Runnable> plan = kafka
                    ? Map.of(count * 3 / 20, killAndReplace, count / 2, down, count * 13 / 20, killForGood)
                    : Map.of(count * 3 / 20, restart, count * 7 / 20, restart, count / 2, down, count * 13 / 20, restart,
                            count * 17 / 20, restart);
            List<Future<?>> actions = java.util.Collections.synchronizedList(new ArrayList<>());
            long start = BenchClock.nanos();
            long period = 1_000_000_000L / rate;
            // several posters, as a busy InfraSage would: anomaly i is posted by poster i % posters, on schedule, and
            // retried until accepted; each poster resolves its own anomalies (every fourth) 20 of its posts later, so a
            // resolve is only ever posted after its trigger was accepted
            ExecutorService posting = Executors.newFixedThreadPool(posters);
            List<Future<?>> posted = new ArrayList<>();
            for (int p = 0; p < posters; p++) {
                int first = p;
                posted.add(posting.submit(() -> {
                    List<Integer> pendingResolves = new ArrayList<>();
                    for (int i = first; i < count; i += posters) {
                        if (plan.containsKey(i)) {
                            event("at anomaly " + i + ": " + (i == count / 2 ? "PagerDuty goes down" : "kill -9 " + victimName));
                            actions.add(chaos.submit(plan.get(i)));
                        }
                        long due = start + i * period;
                        long wait;
                        while ((wait = due - BenchClock.nanos()) > 0) {
                            LockSupport.parkNanos(wait);
                        }
                        String id = prefix + i;
                        if (post(anomalies, i, Workload.anomaly(id, names.get(i % names.size())))) {
                            accepted.add(id);
                            if (i % 4 == 0) {
                                pendingResolves.add(i);
                            }
                        }
                        while (!pendingResolves.isEmpty() && pendingResolves.get(0) <= i - 20 * posters) {
                            int r = pendingResolves.remove(0);
                            resolve(prefix + r, r + 1, resolved);
                        }
                    }
                    while (!pendingResolves.isEmpty()) {
                        int r = pendingResolves.remove(0);
                        resolve(prefix + r, r + 1, resolved);
                    }
                    return null;
                }));
            }
            for (Future<?> f : posted) {
                f.get(10, TimeUnit.MINUTES);
            }
            posting.shutdown();
            for (Future<?> f : List.copyOf(actions)) {
                f.get(2, TimeUnit.MINUTES);
            }
            event(Stats.f("all %,d anomalies posted after %.0f s; PagerDuty comes back", count, (BenchClock.nanos() - start) / 1e9));
            sandbox.faults().up();
            long back = BenchClock.nanos();
            if (!kafka) {
                Thread.sleep(300); // deliveries of the backlog are in flight now
                restart.run();
            }

            Set<String> triggerKeys = new HashSet<>();
            accepted.forEach(id -> triggerKeys.add(Workload.dedupKey(id)));
            Set<String> resolveKeys = new HashSet<>();
            resolved.forEach(id -> resolveKeys.add(Workload.dedupKey(id)));
            long deadline = System.currentTimeMillis() + 300_000;
            Deliveries d;
            while (true) {
                d = new Deliveries(sandbox, triggerKeys, resolveKeys);
                if (d.lost == 0 && d.resolvesMissing == 0 || System.currentTimeMillis() > deadline) {
                    break;
                }
                report.progress(Stats.f("%,d/%,d paged, %d/%d resolves delivered", d.expected - d.lost, d.expected,
                        d.resolvesExpected - d.resolvesMissing, d.resolvesExpected));
                Thread.sleep(5_000);
            }
            event(Stats.f("everything delivered %.0f s after the first anomaly, %.0f s after PagerDuty came back",
                    (BenchClock.nanos() - start) / 1e9, (BenchClock.nanos() - back) / 1e9));
            sandbox.awaitWebhooksIdle(Duration.ofSeconds(60));
            String memory = bundle.memory();
            bundle.close();

            report.section("What happened");
            log.forEach(l -> report.note("- " + l));
            report.section("Verdict");
            report.figure("anomalies posted / accepted (2xx, retried through the kills)", count + " / " + accepted.size());
            report.figure("kill -9", kafka ? kills + " times (instance b: once during the storm, started again; once during the"
                    + " outage, left dead)" : kills + " times (" + (kills - 1) + " during the storm or the outage, 1 right after PagerDuty came back)");
            if (kafka) {
                report.figure("requests without a 2xx at one instance, then accepted at the other", Integer.toString(failedOver.get()));
            }
            d = new Deliveries(sandbox, triggerKeys, resolveKeys);
            report.figure("accepted anomalies / delivered (an incident in PagerDuty)", d.expected + " / " + (d.expected - d.lost));
            d.report(report);
            report.figure(kafka ? "memory of the surviving instance at the end" : "bundle memory at the end", memory);
            boolean clean = d.clean() && accepted.size() == count;
            report.goal("crash: lost", "0", Integer.toString(d.lost + d.resolvesMissing), d.lost == 0 && d.resolvesMissing == 0);
            report.goal("crash: duplicate incidents", "0", Integer.toString(d.duplicateIncidents), d.duplicateIncidents == 0);
            report.goal("crash: order per key (trigger before resolve)", "0 violations", Integer.toString(d.orderViolations),
                    d.orderViolations == 0);
            if (kafka) {
                report.goal("crash: 429s at the sandbox (one pace per key across instances)", "0", Integer.toString(d.throttled),
                        d.throttled == 0);
            }
            report.write();
            return clean ? 0 : 1;
        } finally {
            chaos.shutdownNow();
            platform.shutdownNow();
            bundle.killAll();
        }
    }

    /** The runbook's resolve, first sent to instance {@code first mod n} (with two: not the one that took the trigger). */
    private void resolve(String id, int first, Set<String> resolved) {
        if (post(bundle.urls("/api/v1/anomalies/" + id + "/resolve"), first, "{\"runbook\":\"scale-up\",\"actor\":\"runbook-bot\"}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
            resolved.add(id);
        }
    }

    /**
     * Posts until a 2xx, the way InfraSage retries: 100 ms apart, for at most two minutes. Attempt k goes to instance
     * {@code (first + k) mod n}, as a load balancer sends a retry elsewhere when an instance fails.
     */
    private boolean post(List<URI> instances, int first, byte[] body) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        for (int attempt = 0; System.nanoTime() < deadline; attempt++) {
            URI uri = instances.get((first + attempt) % instances.size());
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
                        .header("Content-Type", "application/json").header("Authorization", "Bearer " + BenchSettings.API_TOKEN)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() >= 200 && r.statusCode() < 300) {
                    if (attempt % instances.size() != 0) {
                        failedOver.incrementAndGet();
                    }
                    return true;
                }
            } catch (IOException e) {
                // the bundle is down or restarting: try again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        return false;
    }

    private synchronized void event(String text) {
        String line = Stats.f("%7.1f s  %s", BenchClock.nanos() / 1e9, text);
        log.add(line);
        report.progress(line);
    }
}
