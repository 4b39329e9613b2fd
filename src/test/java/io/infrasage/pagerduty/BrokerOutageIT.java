package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.bench.BundleJar;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.LocalKafka;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Kafka broker stopped for 15 s, as in a maintenance window, under a steady stream of about 15 requests per second
 * spread over two Kafka-mode instances (anomalies, batches and resolves). A client retries a 503 after its Retry-After,
 * as InfraSage and runbooks do. Every answer comes within the accept bound (INFRASAGE_ACCEPT_TIMEOUT, 5 s by default),
 * as a 2xx or a JSON 503 naming Kafka; both instances accept again within seconds of the broker's return; and every
 * anomaly is paged once, one incident each, a resolved one never triggered again.
 */
class BrokerOutageIT {

    static final Duration BOUND = Duration.ofSeconds(5);
    /**
     * What an answer may take beyond the bound: the work around the waits for Kafka, and the scheduling of this test's
     * client, the broker and both instances on a shared machine (seen: up to 3 s at a load of 30 on 2 cores).
     */
    static final Duration MARGIN = Duration.ofSeconds(2);
    static final Duration OUTAGE = Duration.ofSeconds(15);
    static final Duration RECOVERY = Duration.ofSeconds(10);
    static final int PER_SECOND = 15;
    /** Six teams, so deliveries spread over both partitions (both instances deliver). */
    static final int KEYS = 6;
    static final int MAX_ATTEMPTS = 15;

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    static LocalKafka kafka;
    static PagerDutySandbox sandbox;
    static BundleJar a;
    static BundleJar b;
    static Map<String, String> env;

    @BeforeAll
    static void twoInstancesOnOneBroker() throws Exception {
        kafka = LocalKafka.start();
        sandbox = PagerDutySandbox.builder().port(0).rateLimitPerMinute(100_000).start();
        Path logs = Files.createDirectories(LocalClickHouse.projectRoot().resolve("target/broker-outage"));
        env = new HashMap<>();
        env.put("INFRASAGE_QUEUE", "kafka");
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("KAFKA_TOPIC_PREFIX", "outage-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        env.put("KAFKA_PARTITIONS", "2");
        env.put("KAFKA_REPLICATION_FACTOR", "1");
        env.put("CLICKHOUSE_URL", LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase("it_outage")));
        env.put("PAGERDUTY_EVENTS_URL", sandbox.eventsUrl());
        List<String> rules = new ArrayList<>();
        for (int k = 0; k < KEYS; k++) {
            String pattern = k == KEYS - 1 ? "*" : "outage-svc-" + k;
            rules.add("{\"service_pattern\":\"" + pattern + "\",\"service_key\":\"" + routingKey(k) + "\",\"team\":\"team-" + k + "\"}");
        }
        env.put("PAGERDUTY_ROUTING_RULES", "[" + String.join(",", rules) + "]");
        env.put("PAGERDUTY_WEBHOOK_INSECURE", "true");
        env.put("INFRASAGE_API_TOKEN", RunningBundle.API_TOKEN);
        env.put("PAGERDUTY_RATE_LIMIT_PER_MINUTE", "100000");
        env.put("PAGERDUTY_RATE_LIMIT_BURST", "1000");
        env.put("PAGERDUTY_RETRY_INITIAL_DELAY", "200ms");
        env.put("PAGERDUTY_RETRY_MAX_DELAY", "1s");
        env.put("MALLOC_ARENA_MAX", "2");
        a = start(env, "a", logs);
        b = start(env, "b", logs);
    }

    static BundleJar start(Map<String, String> env, String name, Path logs) throws Exception {
        Map<String, String> own = new HashMap<>(env);
        own.put("INFRASAGE_DATA_DIR", Files.createTempDirectory("broker-outage-" + name).toString());
        Path jar = LocalClickHouse.projectRoot().resolve("target/infrasage-pagerduty-1.0.0-SNAPSHOT-app.jar");
        return BundleJar.start(LocalClickHouse.projectRoot(), jar, List.of("-Xmx192m", "-XX:+UseSerialGC", "-Xss512k"), own,
                BundleJar.Ports.free(), logs.resolve("instance-" + name + ".log"), Duration.ofSeconds(120));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {a, b, sandbox, kafka}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // the next one still stops
            }
        }
    }

    /** Whether the broker leads every partition of the bundle's topics, as a fresh client sees it within a second. */
    static boolean leadsEveryPartition() {
        String prefix = env.get("KAFKA_TOPIC_PREFIX");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            return admin.describeTopics(List.of(prefix + "deliveries", prefix + "anomalies", prefix + "clickhouse-rows"),
                            new DescribeTopicsOptions().timeoutMs(1000)).allTopicNames().get(2, TimeUnit.SECONDS).values().stream()
                    .flatMap(t -> t.partitions().stream()).allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        } catch (Exception e) {
            return false;
        }
    }

    static String routingKey(int k) {
        return "K".repeat(28) + String.format("%04d", k);
    }

    /** One answer to one attempt of a request, times in nanoseconds since the stream began. */
    record Attempt(String request, BundleJar instance, long sentAt, long answeredAt, int status, String retryAfter,
                   String contentType, String body) {
        Duration took() {
            return Duration.ofNanos(answeredAt - sentAt);
        }

        boolean ok() {
            return status >= 200 && status < 300;
        }

        @Override
        public String toString() {
            return request + " at " + (instance == a ? "a" : "b") + ", sent " + sentAt / 1_000_000 + " ms: " + status
                    + " after " + took().toMillis() + " ms " + (body == null ? "" : body.substring(0, Math.min(200, body.length())));
        }
    }

    /** A request of the stream: its path and body, and the anomalies it accepts (none for a resolve). */
    record Request(String name, String path, String body, List<String> anomalies) {
    }

    final long t0 = System.nanoTime();
    final ConcurrentLinkedQueue<Attempt> attempts = new ConcurrentLinkedQueue<>();
    final Set<String> accepted = ConcurrentHashMap.newKeySet();
    final Map<String, Long> acceptedAt = new ConcurrentHashMap<>();
    final Set<String> resolved = ConcurrentHashMap.newKeySet();
    final List<CompletableFuture<Void>> requests = new ArrayList<>();
    final AtomicInteger sent = new AtomicInteger();
    volatile boolean streaming = true;

    long now() {
        return System.nanoTime() - t0;
    }

    @Test
    void everyRequestIsAnsweredWithinTheBoundWhileTheBrokerIsAwayAndEveryAnomalyIsPagedOnce() throws Exception {
        String run = "outage-" + System.nanoTime() + "-";
        Thread stream = new Thread(() -> stream(run), "anomaly-stream");
        stream.start();

        await().atMost(Duration.ofSeconds(30)).until(() -> sent.get() >= 5 * PER_SECOND);
        long stopping = now();
        kafka.stop();
        long stopped = now();
        int sentWhenStopped = sent.get();
        Thread.sleep(OUTAGE.toMillis()); // the outage itself: its length is the scenario, not a wait for something to happen
        assertThat(sent.get() - sentWhenStopped).as("requests posted while the broker was away").isGreaterThan(PER_SECOND * 5);
        kafka.startAgain();
        long listening = now();
        // back once it serves the topics again (a leader for every partition), which a loaded machine may take a while for
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(BrokerOutageIT::leadsEveryPartition);
        long back = now();
        Thread.sleep(RECOVERY.multipliedBy(2).toMillis()); // the stream goes on after the outage, as it does in production
        streaming = false;
        stream.join();
        CompletableFuture.allOf(requests.toArray(CompletableFuture[]::new)).get(MAX_ATTEMPTS * 17L, TimeUnit.SECONDS);

        List<Attempt> all = new ArrayList<>(attempts);
        System.out.printf("broker stopping at %d ms, stopped at %d ms, listening at %d ms, back at %d ms; %d requests, %d attempts, "
                        + "%d answered 503, slowest answer %d ms%n", stopping / 1_000_000, stopped / 1_000_000, listening / 1_000_000,
                back / 1_000_000, requests.size(), all.size(),
                all.stream().filter(x -> x.status() == 503).count(), all.stream().mapToLong(x -> x.took().toMillis()).max().orElse(0));
        List<Long> refusals = all.stream().filter(x -> x.status() == 503).map(x -> x.took().toMillis()).sorted().toList();
        if (!refusals.isEmpty()) {
            System.out.printf("503 answers: median %d ms, 99th percentile %d ms, longest %d ms%n", refusals.get(refusals.size() / 2),
                    refusals.get(refusals.size() * 99 / 100), refusals.get(refusals.size() - 1));
        }
        for (BundleJar instance : List.of(a, b)) {
            System.out.printf("instance %s: first 2xx %d ms after the broker was back%n", instance == a ? "a" : "b",
                    all.stream().filter(x -> x.instance() == instance && x.sentAt() >= back && x.ok()).mapToLong(x -> x.answeredAt() - back)
                            .min().orElse(-1) / 1_000_000);
        }

        SoftAssertions answers = new SoftAssertions();
        // the broker was away: requests got 503s, not only 2xx
        answers.assertThat(all).filteredOn(x -> x.sentAt() >= stopped && x.sentAt() < back && x.status() == 503).isNotEmpty();
        answers.assertThat(all).as("answers slower than %s", BOUND.plus(MARGIN))
                .filteredOn(x -> x.took().compareTo(BOUND.plus(MARGIN)) > 0).isEmpty();
        answers.assertThat(all).as("answers neither 2xx nor a JSON 503 with Retry-After naming Kafka")
                .filteredOn(x -> !x.ok() && !retryable503NamingKafka(x)).isEmpty();
        for (BundleJar instance : List.of(a, b)) {
            answers.assertThat(all).as("2xx from %s within %s of the broker's return", instance == a ? "a" : "b", RECOVERY)
                    .anyMatch(x -> x.instance() == instance && x.sentAt() >= back && x.ok() && x.answeredAt() - back <= RECOVERY.toNanos());
        }
        answers.assertAll();

        // every anomaly of the stream was answered 2xx in the end (503s retried), and each is one incident
        Set<String> streamed = requests().stream().flatMap(r -> r.anomalies().stream()).collect(Collectors.toSet());
        assertThat(accepted).containsExactlyInAnyOrderElementsOf(streamed);
        await().atMost(Duration.ofSeconds(60)).until(() -> accepted.stream().allMatch(id -> sandbox.incidentByKey("infrasage-" + id).isPresent()));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> accepted.stream()
                .allMatch(id -> sandbox.incidentsByKey("infrasage-" + id).size() == 1));
        for (String id : resolved) {
            String key = "infrasage-" + id;
            await().atMost(Duration.ofSeconds(30)).until(() -> "resolved".equals(sandbox.incidentByKey(key).orElseThrow().status()));
            List<String> actions = sandbox.events().stream().filter(e -> key.equals(e.dedupKey()) && e.status() == 202)
                    .map(ReceivedEvent::eventAction).toList();
            assertThat(actions.lastIndexOf("trigger")).as("no trigger after the resolve of %s: %s", key, actions)
                    .isLessThan(actions.indexOf("resolve"));
        }
        Map<String, Long> triggers = sandbox.events().stream().filter(e -> e.status() == 202 && "trigger".equals(e.eventAction())
                && e.dedupKey() != null && e.dedupKey().startsWith("infrasage-" + run))
                .collect(Collectors.groupingBy(ReceivedEvent::dedupKey, Collectors.counting()));
        System.out.printf("%d anomalies paged (%d resolved), one incident each; %d of them got their trigger more than once "
                + "(one incident: PagerDuty's dedup key)%n", accepted.size(), resolved.size(), triggers.values().stream().filter(n -> n > 1).count());
    }

    private final List<Request> sentRequests = new ArrayList<>();

    synchronized List<Request> requests() {
        return List.copyOf(sentRequests);
    }

    /** Paced posts, alternating between the instances: mostly single anomalies, every tenth a batch or a resolve. */
    void stream(String run) {
        long period = TimeUnit.SECONDS.toNanos(1) / PER_SECOND;
        for (int i = 0; streaming && i < PER_SECOND * 300; i++) {
            LockSupport.parkNanos(t0 + i * period - System.nanoTime());
            Request r;
            Optional<String> resolvable = i % 10 == 5 ? resolvable() : Optional.empty();
            if (i % 10 == 0) {
                List<String> ids = List.of(run + i + "-0", run + i + "-1", run + i + "-2");
                r = new Request("batch " + i, "/api/v1/anomalies",
                        ids.stream().map(BrokerOutageIT::anomaly).collect(Collectors.joining(",", "[", "]")), ids);
            } else if (resolvable.isPresent()) {
                String id = resolvable.get();
                resolved.add(id);
                r = new Request("resolve " + id, "/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"outage-fix\"}", List.of());
            } else {
                String id = run + i;
                r = new Request("anomaly " + id, "/api/v1/anomalies", anomaly(id), List.of(id));
            }
            synchronized (this) {
                sentRequests.add(r);
                requests.add(attempt(r, i % 2 == 0 ? a : b, 1));
            }
            sent.incrementAndGet();
        }
    }

    /**
     * An anomaly accepted at its first attempt at least 2 s ago and not resolved yet: no refused attempt of it can have
     * left a trigger that reaches Kafka after the resolve.
     */
    Optional<String> resolvable() {
        long before = now() - TimeUnit.SECONDS.toNanos(2);
        return acceptedAt.entrySet().stream().filter(e -> e.getValue() < before && !resolved.contains(e.getKey()))
                .map(Map.Entry::getKey).findFirst();
    }

    static String anomaly(String id) {
        int key = Math.floorMod(id.hashCode(), KEYS);
        return "{\"anomaly_id\":\"" + id + "\",\"service\":\"outage-svc-" + key + "\",\"score\":0.9}";
    }

    /** Posts once; a 503 (or no answer) is posted again after its Retry-After, to the other instance. */
    CompletableFuture<Void> attempt(Request r, BundleJar instance, int n) {
        long sentAt = now();
        HttpRequest request = HttpRequest.newBuilder(instance.url(r.path())).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + RunningBundle.API_TOKEN).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(r.body())).build();
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, failure) -> {
            Attempt x = response == null
                    ? new Attempt(r.name(), instance, sentAt, now(), -1, null, null, String.valueOf(failure))
                    : new Attempt(r.name(), instance, sentAt, now(), response.statusCode(),
                            response.headers().firstValue("Retry-After").orElse(null),
                            response.headers().firstValue("Content-Type").orElse(null), response.body());
            attempts.add(x);
            return x;
        }).thenCompose(x -> {
            if (x.ok()) {
                r.anomalies().forEach(id -> {
                    accepted.add(id);
                    if (n == 1) {
                        acceptedAt.put(id, x.answeredAt());
                    }
                });
                return CompletableFuture.completedFuture(null);
            }
            if (n >= MAX_ATTEMPTS || x.status() != 503 && x.status() != -1) {
                return CompletableFuture.completedFuture(null);
            }
            // after Retry-After, plus up to as much again: clients that all retry at the same moment would come back as one wave
            long wait = TimeUnit.SECONDS.toMillis(x.retryAfter() == null ? 5 : Long.parseLong(x.retryAfter()));
            wait += ThreadLocalRandom.current().nextLong(wait + 1);
            BundleJar other = instance == a ? b : a;
            return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(wait, TimeUnit.MILLISECONDS))
                    .thenCompose(ignored -> attempt(r, other, n + 1));
        });
    }

    static boolean retryable503NamingKafka(Attempt x) {
        if (x.status() != 503 || x.retryAfter() == null || x.contentType() == null || !x.contentType().startsWith("application/json")) {
            return false;
        }
        try {
            JsonNode body = JSON.readTree(x.body());
            return body.isObject() && body.toString().contains("Kafka");
        } catch (Exception e) {
            return false;
        }
    }
}
