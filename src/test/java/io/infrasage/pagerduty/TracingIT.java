package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import io.infrasage.pagerduty.bench.BundleJar;
import io.infrasage.pagerduty.sandbox.Incident;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.LocalKafka;
import io.infrasage.pagerduty.testing.OtlpReceiver;
import io.infrasage.pagerduty.testing.OtlpReceiver.ReceivedSpan;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One trace per page (docs/operations.md#tracing): instances of the runnable jar with tracing switched on by OTEL_*
 * variables export to an OTLP receiver in the test. The accept, each delivery attempt and a webhook are spans of
 * their own with the anomaly's and the incident's ids; in Kafka mode the instance that delivers joins the trace of the
 * instance that accepted. Without OTEL_* variables nothing is exported.
 */
class TracingIT {

    static final String KEY = "T".repeat(28) + "trce";
    static final String SECRET = "tracing-webhook-secret";

    static OtlpReceiver receiver;
    /** Listens where the SDK would send by default (localhost:4318) to show that nothing is sent without OTEL_*. */
    static OtlpReceiver defaultEndpoint;
    static PagerDutySandbox sandbox;
    static BundleJar traced;
    static BundleJar untraced;
    static Path logs;

    static LocalKafka kafka;
    static BundleJar kafkaA;
    static BundleJar kafkaB;
    /** Two routing keys on the two partitions of the deliveries topic: each Kafka-mode instance owns one. */
    static final String[] KAFKA_KEYS = keysOnBothPartitions();

    /** All four instances start together: a JVM's start is mostly waiting, and the test's time is mostly starts. */
    @BeforeAll
    static void start() throws Exception {
        receiver = OtlpReceiver.start(0);
        defaultEndpoint = OtlpReceiver.start(4318);
        logs = Files.createDirectories(LocalClickHouse.projectRoot().resolve("target/tracing"));
        BundleJar.Ports tracedPorts = BundleJar.Ports.free();
        sandbox = PagerDutySandbox.builder().port(0).webhookRetryBackoff(Duration.ofMillis(100))
                .webhook("http://127.0.0.1:" + tracedPorts.server() + "/api/v1/pagerduty/webhook", List.of(SECRET)).start();
        Map<String, String> env = baseEnv(LocalClickHouse.uniqueDatabase("it_tracing"));
        env.put("PAGERDUTY_ROUTING_RULES", "[{\"service_pattern\":\"*\",\"service_key\":\"" + KEY + "\",\"team\":\"payments\"}]");
        env.put("PAGERDUTY_WEBHOOK_SECRETS", SECRET);
        Map<String, String> tracedEnv = new HashMap<>(env);
        tracedEnv.putAll(tracing("single"));
        Map<String, String> untracedEnv = new HashMap<>(env);
        var single = CompletableFuture.supplyAsync(() -> start(tracedEnv, "traced", tracedPorts));
        var off = CompletableFuture.supplyAsync(() -> start(untracedEnv, "untraced", BundleJar.Ports.free()));

        kafka = LocalKafka.start();
        Map<String, String> kafkaEnv = baseEnv(LocalClickHouse.uniqueDatabase("it_tracing_kafka"));
        kafkaEnv.put("INFRASAGE_QUEUE", "kafka");
        kafkaEnv.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        kafkaEnv.put("KAFKA_TOPIC_PREFIX", "it-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        kafkaEnv.put("KAFKA_PARTITIONS", "2");
        kafkaEnv.put("KAFKA_REPLICATION_FACTOR", "1");
        kafkaEnv.put("PAGERDUTY_WEBHOOK_INSECURE", "true");
        kafkaEnv.put("PAGERDUTY_ROUTING_RULES", "[{\"service_pattern\":\"p0-*\",\"service_key\":\"" + KAFKA_KEYS[0]
                + "\",\"team\":\"zero\"},{\"service_pattern\":\"*\",\"service_key\":\"" + KAFKA_KEYS[1] + "\",\"team\":\"one\"}]");
        Map<String, String> envA = new HashMap<>(kafkaEnv);
        envA.putAll(tracing("a"));
        Map<String, String> envB = new HashMap<>(kafkaEnv);
        envB.putAll(tracing("b"));
        var a = CompletableFuture.supplyAsync(() -> start(envA, "kafka-a", BundleJar.Ports.free()));
        var b = CompletableFuture.supplyAsync(() -> start(envB, "kafka-b", BundleJar.Ports.free()));
        traced = single.join();
        untraced = off.join();
        kafkaA = a.join();
        kafkaB = b.join();
    }

    static Map<String, String> baseEnv(String database) {
        Map<String, String> env = new HashMap<>();
        env.put("CLICKHOUSE_URL", LocalClickHouse.shared().jdbcUrl(database));
        env.put("PAGERDUTY_EVENTS_URL", sandbox.eventsUrl());
        env.put("PAGERDUTY_API_URL", sandbox.rootUrl());
        env.put("PAGERDUTY_API_TOKEN", sandbox.apiToken());
        env.put("INFRASAGE_API_TOKEN", RunningBundle.API_TOKEN);
        env.put("PAGERDUTY_RETRY_THROTTLED_DELAY", "300ms");
        env.put("PAGERDUTY_RETRY_INITIAL_DELAY", "200ms");
        env.put("INFRASAGE_SHUTDOWN_DELAY", "0s");
        env.put("MALLOC_ARENA_MAX", "2");
        return env;
    }

    /** Tracing on, as an operator switches it on: the standard variables only. */
    static Map<String, String> tracing(String instance) {
        return Map.of("OTEL_TRACES_EXPORTER", "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(),
                "OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=" + instance,
                // the batch goes out every 200 ms instead of every 5 s
                "OTEL_BSP_SCHEDULE_DELAY", "200");
    }

    static BundleJar start(Map<String, String> env, String name, BundleJar.Ports ports) {
        Map<String, String> own = new HashMap<>(env);
        try {
            own.put("INFRASAGE_DATA_DIR", Files.createTempDirectory("tracing-" + name).toString());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        Path jar = LocalClickHouse.projectRoot().resolve("target/infrasage-pagerduty-1.0.0-SNAPSHOT-app.jar");
        return BundleJar.start(LocalClickHouse.projectRoot(), jar, List.of("-Xmx192m", "-XX:+UseSerialGC", "-Xss512k"), own, ports,
                logs.resolve("instance-" + name + ".log"), Duration.ofSeconds(120));
    }

    @AfterAll
    static void stop() {
        // the instances first (together), then what they use
        CompletableFuture.allOf(java.util.stream.Stream.of(traced, untraced, kafkaA, kafkaB)
                .map(i -> CompletableFuture.runAsync(() -> {
                    if (i != null) {
                        i.close();
                    }
                })).toArray(CompletableFuture[]::new)).join();
        for (AutoCloseable c : new AutoCloseable[] {kafka, sandbox, receiver, defaultEndpoint}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // the next one still stops
            }
        }
    }

    static HttpResponse<String> post(BundleJar instance, String id, String service) {
        String json = "{\"anomaly_id\":\"" + id + "\",\"service\":\"" + service + "\",\"score\":0.93}";
        return RunningBundle.send(HttpRequest.newBuilder(instance.url("/api/v1/anomalies")).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + RunningBundle.API_TOKEN)
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    static boolean delivered(String id) {
        return sandbox.events().stream().anyMatch(e -> ("infrasage-" + id).equals(e.dedupKey()) && e.status() == 202);
    }

    static List<ReceivedSpan> spansOf(OtlpReceiver from, String anomalyId) {
        return from.spans().stream().filter(s -> anomalyId.equals(s.attribute("infrasage.anomaly.id"))).toList();
    }

    static Optional<ReceivedSpan> acceptOf(OtlpReceiver from, String anomalyId) {
        return spansOf(from, anomalyId).stream().filter(s -> s.attribute("infrasage.anomaly.severity") != null).findFirst();
    }

    static List<ReceivedSpan> attemptsOf(OtlpReceiver from, String anomalyId) {
        return spansOf(from, anomalyId).stream().filter(s -> s.attribute("pagerduty.attempt") != null)
                .sorted(java.util.Comparator.comparing(s -> Long.parseLong(s.attribute("pagerduty.attempt")))).toList();
    }

    @Test
    void aPageThrottledOnceIsOneTraceHoldingTheAcceptAndBothAttempts() {
        String id = "trace-429-" + System.nanoTime();
        sandbox.faults().respond(429, 1);
        assertThat(post(traced, id, "payment-api").statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> delivered(id));
        await().atMost(Duration.ofSeconds(10)).until(() -> acceptOf(receiver, id).isPresent() && attemptsOf(receiver, id).size() >= 2);

        ReceivedSpan accept = acceptOf(receiver, id).orElseThrow();
        assertThat(accept.attributes()).containsEntry("infrasage.anomaly.service", "payment-api")
                .containsEntry("infrasage.anomaly.severity", "critical").containsEntry("infrasage.anomaly.teams", "payments");
        List<ReceivedSpan> attempts = attemptsOf(receiver, id);
        assertThat(attempts).hasSize(2);
        assertThat(attempts).extracting(s -> s.attribute("pagerduty.attempt")).containsExactly("1", "2");
        assertThat(attempts).extracting(s -> s.attribute("pagerduty.status")).containsExactly("429", "202");
        assertThat(attempts).allSatisfy(s -> assertThat(Long.parseLong(s.attribute("pagerduty.pace_wait_ms"))).isNotNegative());
        // one trace: every span naming the anomaly, and the request's own span at its root
        assertThat(spansOf(receiver, id)).extracting(ReceivedSpan::traceId).containsOnly(accept.traceId());
        List<ReceivedSpan> trace = receiver.trace(accept.traceId());
        assertThat(trace).filteredOn(s -> s.parentSpanId().isEmpty()).hasSize(1)
                .allSatisfy(root -> assertThat(root.startNanos()).isLessThanOrEqualTo(accept.startNanos()));
    }

    @Test
    void aSignedWebhooksSpanCarriesTheIncidentAndTheAnomaly() {
        String id = "trace-webhook-" + System.nanoTime();
        assertThat(post(traced, id, "payment-api").statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> sandbox.incidentByKey("infrasage-" + id).isPresent());
        Incident incident = sandbox.incidentByKey("infrasage-" + id).orElseThrow();
        sandbox.acknowledge(incident.id(), "Alice Example");

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(receiver.spans())
                .filteredOn(s -> incident.id().equals(s.attribute("pagerduty.incident.id")))
                .filteredOn(s -> "incident.acknowledged".equals(s.attribute("pagerduty.webhook.event_type")))
                .singleElement().satisfies(s -> assertThat(s.attribute("infrasage.anomaly.ids")).isEqualTo(id)));
    }

    @Test
    void withoutOtelVariablesNothingIsExportedAndPagesGoOutAsBefore() {
        String id = "trace-off-" + System.nanoTime();
        assertThat(post(untraced, id, "payment-api").statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> delivered(id));
        // the SDK's default endpoint is never called, and nothing reaches the receiver about this anomaly
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> defaultEndpoint.requests() == 0 && spansOf(receiver, id).isEmpty());
    }

    @Test
    void inKafkaModeTheDeliveringInstanceJoinsTheAcceptingInstancesTrace() {
        // one of two anomalies accepted by instance a, one per partition, is delivered by instance b. Until the group has
        // settled one partition on each instance, a may still deliver both: a new pair is posted on every poll
        List<String> posted = new ArrayList<>();
        await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofSeconds(2)).until(() -> {
            for (String service : new String[] {"p0-api", "p1-api"}) {
                String id = "trace-kafka-" + service + "-" + System.nanoTime();
                if (post(kafkaA, id, service).statusCode() == 202) { // a 503 while Kafka warms up: the next poll posts again
                    posted.add(id);
                }
            }
            return posted.stream().anyMatch(TracingIT::acceptedByADeliveredByBInOneTrace);
        });
    }

    /** The anomaly's accept span is instance a's, an attempt span is instance b's, and both are in one trace. */
    static boolean acceptedByADeliveredByBInOneTrace(String id) {
        Optional<ReceivedSpan> accept = acceptOf(receiver, id);
        List<ReceivedSpan> attempts = attemptsOf(receiver, id);
        return accept.isPresent() && "a".equals(accept.get().resource().get("service.instance.id"))
                && attempts.stream().anyMatch(s -> "b".equals(s.resource().get("service.instance.id")) && "202".equals(s.attribute("pagerduty.status")))
                && spansOf(receiver, id).stream().allMatch(s -> s.traceId().equals(accept.get().traceId()));
    }

    /** Two routing keys that Kafka's default partitioner puts on partitions 0 and 1 of a two-partition topic. */
    static String[] keysOnBothPartitions() {
        String[] keys = new String[2];
        for (int i = 0; keys[0] == null || keys[1] == null; i++) {
            String key = "K".repeat(28) + String.format("%04d", i);
            int partition = Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % 2;
            if (keys[partition] == null) {
                keys[partition] = key;
            }
        }
        return keys;
    }
}
