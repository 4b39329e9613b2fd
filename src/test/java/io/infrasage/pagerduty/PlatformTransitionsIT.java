package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.infrasage.pagerduty.bench.BundleJar;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.AnomalyStream;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.LocalKafka;
import io.infrasage.pagerduty.testing.ReadinessBalancer;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a platform does to the bundle, as Kubernetes does it: two Kafka-mode instances (their own JVMs) behind a load
 * balancer that follows each one's readiness, a steady stream of about 15 anomalies/s, a real broker, a ClickHouse of
 * the test's own that it stops, and the PagerDuty sandbox.
 */
class PlatformTransitionsIT {

    private static final String KEY = "T".repeat(28) + "trns";
    private static final Duration STOP_BOUND = Duration.ofSeconds(20);

    private static LocalKafka kafka;
    private static LocalClickHouse clickHouse;
    private static PagerDutySandbox sandbox;
    private static Path logs;
    private static Map<String, String> env;

    private ReadinessBalancer balancer;
    private final Map<String, BundleJar> instances = new HashMap<>();

    @BeforeAll
    static void platform() throws Exception {
        kafka = LocalKafka.start();
        clickHouse = LocalClickHouse.privateServer(FreePorts.next(), FreePorts.next());
        clickHouse.start();
        sandbox = PagerDutySandbox.builder().port(0).rateLimitPerMinute(6000).start();
        logs = Files.createDirectories(LocalClickHouse.projectRoot().resolve("target/platform-transitions"));
        env = new HashMap<>();
        env.put("INFRASAGE_QUEUE", "kafka");
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("KAFKA_TOPIC_PREFIX", "it-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        env.put("KAFKA_PARTITIONS", "4");
        env.put("KAFKA_REPLICATION_FACTOR", "1");
        env.put("CLICKHOUSE_URL", clickHouse.jdbcUrl(LocalClickHouse.uniqueDatabase("it_platform")));
        env.put("PAGERDUTY_EVENTS_URL", sandbox.eventsUrl());
        env.put("PAGERDUTY_SERVICE_KEY", KEY);
        env.put("PAGERDUTY_WEBHOOK_INSECURE", "true");
        env.put("INFRASAGE_API_TOKEN", RunningBundle.API_TOKEN);
        env.put("PAGERDUTY_RATE_LIMIT_PER_MINUTE", "6000");
        env.put("PAGERDUTY_RATE_LIMIT_BURST", "100");
        env.put("PAGERDUTY_RETRY_INITIAL_DELAY", "200ms");
        env.put("PAGERDUTY_RETRY_MAX_DELAY", "1s");
        env.put("INFRASAGE_SHUTDOWN_DELAY", "2s");
        env.put("INFRASAGE_SHUTDOWN_TIMEOUT", "15s");
        env.put("MALLOC_ARENA_MAX", "2");
    }

    @AfterAll
    static void tearDown() {
        for (AutoCloseable c : new AutoCloseable[] {sandbox, kafka}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // the next one still stops
            }
        }
        if (clickHouse != null) {
            clickHouse.stop();
        }
    }

    @BeforeEach
    void twoInstancesInRotation() throws Exception {
        balancer = new ReadinessBalancer();
        start("a");
        start("b");
        await().atMost(Duration.ofSeconds(30)).until(() -> balancer.route("/").isPresent());
    }

    @AfterEach
    void stopInstances() {
        balancer.close();
        instances.values().forEach(BundleJar::kill);
        instances.clear();
    }

    private void start(String name) throws Exception {
        Map<String, String> own = new HashMap<>(env);
        own.put("INFRASAGE_DATA_DIR", Files.createTempDirectory("platform-" + name).toString());
        Path jar = LocalClickHouse.projectRoot().resolve("target/infrasage-pagerduty-1.0.0-SNAPSHOT-app.jar");
        BundleJar instance = BundleJar.start(LocalClickHouse.projectRoot(), jar, List.of("-Xmx192m", "-XX:+UseSerialGC", "-Xss512k"),
                own, BundleJar.Ports.free(), logs.resolve("instance-" + name + ".log"), Duration.ofSeconds(120));
        instances.put(name, instance);
        balancer.add(new ReadinessBalancer.Instance(name, instance::url, instance.managementUrl("/observe/health/ready")));
    }

    private AnomalyStream stream(String prefix) {
        String run = prefix + "-" + System.nanoTime();
        return new AnomalyStream(run, Duration.ofMillis(66), 2_000, balancer::route,
                id -> "{\"anomaly_id\":\"" + id + "\",\"service\":\"checkout-api\",\"score\":0.9}");
    }

    /** Every answer a client got is one it can act on: a 2xx, or a JSON 503 with Retry-After; never a 404 or no answer. */
    private static void everyAnswerIsActionable(AnomalyStream stream) {
        List<AnomalyStream.Answer> other = stream.answers().stream().filter(a -> a.status() / 100 != 2 && !a.isJson503()).toList();
        assertThat(other).as("answers that are neither 2xx nor a JSON 503 with Retry-After").isEmpty();
    }

    /** Every anomaly answered 2xx has exactly one incident in PagerDuty. */
    private static void everyAcceptedAnomalyIsPagedOnce(AnomalyStream stream) {
        assertThat(stream.accepted()).as("anomalies accepted").isNotEmpty();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            List<String> notPagedOnce = stream.accepted().stream()
                    .filter(id -> sandbox.incidentsByKey("infrasage-" + id).size() != 1).sorted().toList();
            assertThat(notPagedOnce).as("accepted anomalies without exactly one incident").isEmpty();
        });
    }

    private static String health(BundleJar instance) {
        return RunningBundle.send(HttpRequest.newBuilder(instance.managementUrl("/observe/health")).GET().build()).body();
    }

    @Test
    void clickHouseStoppedUnderAStreamLeavesBothInstancesReadyAndEveryAcceptedAnomalyPagedOnce() throws Exception {
        AnomalyStream stream = stream("ch-outage");
        await().atMost(Duration.ofSeconds(10)).until(() -> stream.accepted().size() >= 30);
        clickHouse.stop();
        try {
            for (BundleJar instance : instances.values()) {
                await().atMost(Duration.ofSeconds(20)).until(() -> "UNKNOWN".equals(RunningBundle.checkStatus(health(instance), "clickhouse")));
                assertThat(health(instance)).contains("degraded: ClickHouse is unreachable");
            }
            int acceptedWhenDown = stream.accepted().size();
            // ten more seconds of the outage: posts are still taken
            await().atMost(Duration.ofSeconds(30)).until(() -> stream.accepted().size() >= acceptedWhenDown + 150);
        } finally {
            clickHouse.start();
        }
        stream.finish();
        List<ReadinessBalancer.Failure> failedProbes = balancer.failedProbesAfterReady();
        assertThat(balancer.everLeftRotation()).as("instances taken out of rotation by the outage; failed probes: %s", failedProbes)
                .isEmpty();
        assertThat(failedProbes).as("readiness answers other than 200 during the outage").filteredOn(f -> f.status() != 0).isEmpty();
        everyAnswerIsActionable(stream);
        assertThat(stream.accepted()).isEqualTo(stream.posted());
        everyAcceptedAnomalyIsPagedOnce(stream);
    }

    @Test
    void sigtermToOneInstanceThenTheOtherUnderAStreamAnswersOnlyActionablyPagesEveryAcceptedAnomalyOnceAndExitsZero()
            throws Exception {
        AnomalyStream stream = stream("sigterm");
        for (String name : List.of("a", "b")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> stream.accepted().size() >= 30);
            BundleJar stopping = instances.get(name);
            long t0 = System.nanoTime();
            stopping.sigterm();
            // a client that still reaches it (the balancer has not probed yet) is told to retry, not that nothing is there
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                var r = RunningBundle.send(HttpRequest.newBuilder(stopping.url("/api/v1/anomalies"))
                        .header("Content-Type", "application/json").header("Authorization", "Bearer " + RunningBundle.API_TOKEN)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"anomaly_id\":\"late-" + name + "\",\"service\":\"checkout-api\",\"score\":0.9}"))
                        .build());
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.headers().firstValue("Retry-After")).isPresent();
                assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
                assertThat(r.body()).contains("\"error\":\"stopping\"");
            });
            assertThat(stopping.awaitExit(STOP_BOUND)).as("exit status of instance " + name + " after SIGTERM").isZero();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(STOP_BOUND);
            balancer.remove(name);
            instances.remove(name);
            start(name + "2");
            await().atMost(Duration.ofSeconds(60)).until(() -> balancer.route("/").isPresent());
        }
        int before = stream.accepted().size();
        await().atMost(Duration.ofSeconds(20)).until(() -> stream.accepted().size() >= before + 30);
        stream.finish();
        everyAnswerIsActionable(stream);
        assertThat(stream.accepted()).isEqualTo(stream.posted());
        everyAcceptedAnomalyIsPagedOnce(stream);
    }
}
