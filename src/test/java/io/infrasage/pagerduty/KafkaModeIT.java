package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.infrasage.pagerduty.bench.BundleJar;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.LocalKafka;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Kafka mode as operators run it: two instances of the runnable jar (own JVMs, configured by environment) behind no
 * sticky routing, one real Kafka broker (scripts/kafka.sh), the shared ClickHouse and the PagerDuty sandbox, which
 * allows 60 events per minute per routing key. The last test kills one instance.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaModeIT {

    /** One routing key per test, so each test has the key's rate budget to itself. */
    static final String RESOLVE_KEY = "R".repeat(28) + "rslv";
    static final String OTHER_KEY = "O".repeat(28) + "othr";
    static final String STORM_KEY = "S".repeat(28) + "strm";
    static final String CRASH_KEY = "C".repeat(28) + "crsh";
    static final String REDELIVER_KEY = "D".repeat(28) + "dlvr";
    static final String SYMPTOM_KEY = "Y".repeat(28) + "symp";
    static final String BATCH_KEY = "B".repeat(28) + "btch";
    static final int RATE_PER_MINUTE = 60;

    static LocalKafka kafka;
    static PagerDutySandbox sandbox;
    static String database;
    static BundleJar a;
    static BundleJar b;
    static Path logs;

    @BeforeAll
    static void twoInstancesOnOneBroker() throws Exception {
        kafka = LocalKafka.start();
        sandbox = PagerDutySandbox.builder().port(0).rateLimitPerMinute(RATE_PER_MINUTE).start();
        database = LocalClickHouse.uniqueDatabase("it_kafka");
        logs = Files.createDirectories(LocalClickHouse.projectRoot().resolve("target/kafka-mode"));
        env = env();
        a = start(env, "a");
        b = start(env, "b");
    }

    static Map<String, String> env;

    static Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("INFRASAGE_QUEUE", "kafka");
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("KAFKA_TOPIC_PREFIX", "it-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        env.put("KAFKA_PARTITIONS", "2");
        env.put("KAFKA_REPLICATION_FACTOR", "1");
        env.put("CLICKHOUSE_URL", LocalClickHouse.shared().jdbcUrl(database));
        env.put("PAGERDUTY_EVENTS_URL", sandbox.eventsUrl());
        env.put("PAGERDUTY_ROUTING_RULES", "["
                + "{\"service_pattern\":\"pay-*\",\"service_key\":\"" + RESOLVE_KEY + "\",\"team\":\"payments\"},"
                + "{\"service_pattern\":\"storm-*\",\"service_key\":\"" + STORM_KEY + "\",\"team\":\"storm\"},"
                + "{\"service_pattern\":\"crash-*\",\"service_key\":\"" + CRASH_KEY + "\",\"team\":\"crash\"},"
                + "{\"service_pattern\":\"redeliver-*\",\"service_key\":\"" + REDELIVER_KEY + "\",\"team\":\"redeliver\"},"
                + "{\"service_pattern\":\"batch-*\",\"service_key\":\"" + BATCH_KEY + "\",\"team\":\"batch\"},"
                + "{\"service_pattern\":\"symptom-*\",\"service_key\":\"" + SYMPTOM_KEY + "\",\"team\":\"symptoms\"},"
                + "{\"service_pattern\":\"*\",\"service_key\":\"" + OTHER_KEY + "\",\"team\":\"default\"}]");
        env.put("PAGERDUTY_WEBHOOK_INSECURE", "true");
        env.put("INFRASAGE_API_TOKEN", RunningBundle.API_TOKEN);
        // no other test's anomaly has a blast radius: only the inhibition test is affected
        env.put("INFRASAGE_INHIBIT_SYMPTOMS", "true");
        // the self-healing sync runs every second, on exactly one of the instances
        env.put("PAGERDUTY_API_URL", sandbox.rootUrl());
        env.put("PAGERDUTY_API_TOKEN", sandbox.apiToken());
        env.put("INFRASAGE_RECONCILE_INTERVAL", "2s");
        env.put("PAGERDUTY_RATE_LIMIT_PER_MINUTE", Integer.toString(RATE_PER_MINUTE));
        env.put("PAGERDUTY_RATE_LIMIT_BURST", "10");
        env.put("PAGERDUTY_RETRY_INITIAL_DELAY", "200ms");
        env.put("PAGERDUTY_RETRY_MAX_DELAY", "1s");
        env.put("MALLOC_ARENA_MAX", "2");
        return env;
    }

    static BundleJar start(Map<String, String> env, String name) throws Exception {
        Map<String, String> own = new HashMap<>(env);
        own.put("INFRASAGE_DATA_DIR", Files.createTempDirectory("kafka-mode-" + name).toString());
        Path jar = LocalClickHouse.projectRoot().resolve("target/infrasage-pagerduty-1.0.0-SNAPSHOT-app.jar");
        Path log = logs.resolve("instance-" + name + ".log");
        BundleJar instance = BundleJar.start(LocalClickHouse.projectRoot(), jar, List.of("-Xmx192m", "-XX:+UseSerialGC", "-Xss512k"),
                own, BundleJar.Ports.free(), log, Duration.ofSeconds(120));
        LOGS.put(instance, log);
        return instance;
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

    static HttpResponse<String> post(BundleJar instance, String path, String json) {
        return RunningBundle.send(HttpRequest.newBuilder(instance.url(path)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + RunningBundle.API_TOKEN)
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    static String anomaly(String id, String service) {
        return "{\"anomaly_id\":\"" + id + "\",\"service\":\"" + service + "\",\"score\":0.9}";
    }

    static List<ReceivedEvent> ingested(String dedupKey) {
        return sandbox.events().stream().filter(e -> dedupKey.equals(e.dedupKey()) && e.status() == 202).toList();
    }

    @Test
    @Order(0)
    void exactlyOneInstanceRunsTheSelfHealingSync() {
        // The turn may move while the second instance joins (both then have stood by, or run, once), so the test watches
        // 7 s windows (about 3 runs at 2 s) until one shows the steady state: one instance completes runs, the other only
        // stands by. Were both ever running the sync, no window would show it and the test would time out.
        SyncRuns[] last = {SyncRuns.of(a), SyncRuns.of(b)};
        await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ofSeconds(7)).pollInterval(Duration.ofSeconds(7)).until(() -> {
            SyncRuns[] now = {SyncRuns.of(a), SyncRuns.of(b)};
            SyncRuns da = now[0].since(last[0]);
            SyncRuns db = now[1].since(last[1]);
            last[0] = now[0];
            last[1] = now[1];
            return da.onlyRan() && db.onlyStoodBy() || db.onlyRan() && da.onlyStoodBy();
        });
    }

    /** An instance's counts of sync runs it completed and runs it stood by. */
    record SyncRuns(double completed, double standby) {
        static SyncRuns of(BundleJar instance) {
            return new SyncRuns(reconcileRuns(instance, "completed"), reconcileRuns(instance, "standby"));
        }

        SyncRuns since(SyncRuns earlier) {
            return new SyncRuns(completed - earlier.completed, standby - earlier.standby);
        }

        boolean onlyRan() {
            return completed >= 2 && standby == 0;
        }

        boolean onlyStoodBy() {
            return standby >= 2 && completed == 0;
        }
    }

    /** infrasage_reconcile_runs_total{outcome} of one instance. */
    static double reconcileRuns(BundleJar instance, String outcome) {
        String metrics = RunningBundle.send(HttpRequest.newBuilder(instance.managementUrl("/observe/metrics")).GET().build()).body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^infrasage_reconcile_runs_total\\{outcome=\"" + outcome
                + "\",?}\\s+(\\S+)").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    @Order(1)
    void aResolveSentToTheOtherInstanceResolvesUnderTheTriggersKeyAndRepeatsPageNobody() {
        String id = "kafka-resolve-" + System.nanoTime();
        String key = "infrasage-" + id;
        assertThat(post(a, "/api/v1/anomalies", anomaly(id, "pay-api")).statusCode()).isEqualTo(202);
        // a repeat at the other instance: it reads the shared record
        HttpResponse<String> repeat = post(b, "/api/v1/anomalies", anomaly(id, "pay-api"));
        assertThat(repeat.statusCode()).isEqualTo(202);
        assertThat(repeat.body()).contains("\"status\":\"duplicate\"");
        await().atMost(Duration.ofSeconds(20)).until(() -> sandbox.incidentByKey(key).isPresent());

        HttpResponse<String> resolve = post(b, "/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"restart-pods\"}");
        assertThat(resolve.statusCode()).as(resolve.body()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> "resolved".equals(sandbox.incidentByKey(key).orElseThrow().status()));

        // re-posts after the resolve, at either instance, page nobody
        HttpResponse<String> again = post(a, "/api/v1/anomalies", anomaly(id, "pay-api"));
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(again.body()).contains("already_resolved");
        assertThat(post(b, "/api/v1/anomalies", anomaly(id, "pay-api")).statusCode()).isEqualTo(409);
        assertThat(post(a, "/api/v1/anomalies/" + id + "/resolve", "{}").body()).contains("already_resolved");

        List<ReceivedEvent> events = ingested(key);
        assertThat(events).extracting(ReceivedEvent::eventAction).containsExactly("trigger", "resolve");
        assertThat(events).extracting(ReceivedEvent::routingKey).containsOnly(RESOLVE_KEY);
        assertThat(sandbox.incidentsByKey(key)).hasSize(1);
        // the ClickHouse rows: written once per event, whichever instance delivered it
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(LocalClickHouse.shared().query(
                "SELECT status, count() FROM " + database + ".anomaly_state WHERE anomaly_id = '" + id
                        + "' GROUP BY status ORDER BY status FORMAT TSV")).isEqualTo("queued\t1\nresolved\t1\nsent\t1"));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(LocalClickHouse.shared().query(
                "SELECT action, count() FROM " + database + ".audit_log WHERE anomaly_id = '" + id
                        + "' GROUP BY action ORDER BY action FORMAT TSV"))
                .isEqualTo("page_queued\t1\nresolve_delivered\t1\nresolve_requested\t1\ntrigger_delivered\t1"));
    }

    @Test
    @Order(2)
    void aSymptomAcceptedAtOneInstanceIsHeldAndPagedWhenTheOtherInstanceResolvesItsRootCause() {
        String root = "kafka-root-" + System.nanoTime();
        String symptom = "kafka-symptom-" + System.nanoTime();
        assertThat(post(a, "/api/v1/anomalies", "{\"anomaly_id\":\"" + root + "\",\"service\":\"root-db\",\"score\":0.9,"
                + "\"blast_radius\":[\"symptom-api\"]}").statusCode()).isEqualTo(202);
        HttpResponse<String> held = post(b, "/api/v1/anomalies", anomaly(symptom, "symptom-api"));
        assertThat(held.statusCode()).isEqualTo(202);
        assertThat(held.body()).contains("\"status\":\"inhibited\"", "\"inhibited_by\":\"" + root + "\"");
        // the runbook acknowledges and reports a change at the instance that did not take the trigger: in order after it
        // (root-db pages the default key: RESOLVE_KEY starts with R, which PagerDuty reserves for rulesets, no change events)
        assertThat(post(b, "/api/v1/anomalies/" + root + "/acknowledge", "{\"runbook\":\"raise-pool\"}").statusCode()).isEqualTo(202);
        assertThat(post(b, "/api/v1/anomalies/" + root + "/changes", "{\"summary\":\"raised the pool of root-db to 50\"}").statusCode())
                .isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> sandbox.events().stream().anyMatch(e -> e.status() == 202
                && ReceivedEvent.CHANGE.equals(e.eventAction()) && root.equals(e.body().at("/payload/custom_details/anomaly_id").asText())));
        assertThat(ingested("infrasage-" + root)).extracting(ReceivedEvent::eventAction).containsExactly("trigger", "acknowledge");
        assertThat(ingested("infrasage-" + symptom)).isEmpty();

        assertThat(post(a, "/api/v1/anomalies/" + root + "/resolve", "{\"runbook\":\"raise-pool\"}").statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> sandbox.incidentByKey("infrasage-" + symptom).isPresent());
        assertThat(ingested("infrasage-" + symptom)).extracting(ReceivedEvent::routingKey).containsExactly(SYMPTOM_KEY);
    }

    @Test
    @Order(2)
    void aBatchPostedToOneInstancePagesOncePerItemAndIsADuplicateAtTheOther() throws Exception {
        String prefix = "kafka-batch-" + System.nanoTime() + "-";
        List<String> items = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            items.add(anomaly(prefix + i, "batch-api"));
        }
        items.add(anomaly(prefix + 0, "batch-api"));
        // a root cause and its symptom in the same batch: the symptom is held by the root cause given before it
        items.add("{\"anomaly_id\":\"" + prefix + "root\",\"service\":\"batch-db\",\"score\":0.9,\"blast_radius\":[\"batch-web\"]}");
        items.add(anomaly(prefix + "symptom", "batch-web"));
        String batch = "[" + String.join(",", items) + "]";

        HttpResponse<String> answer = post(a, "/api/v1/anomalies", batch);

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        var body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(answer.body());
        assertThat(body.get("accepted").asInt()).isEqualTo(8);
        List<String> statuses = new ArrayList<>();
        body.get("items").forEach(item -> statuses.add(item.get("status").asText()));
        assertThat(statuses).containsExactly("queued", "queued", "queued", "queued", "queued", "duplicate", "queued", "inhibited");
        assertThat(body.get("items").get(7).get("inhibited_by").asText()).isEqualTo(prefix + "root");
        List<String> paged = List.of(prefix + 0, prefix + 1, prefix + 2, prefix + 3, prefix + 4, prefix + "root");
        await().atMost(Duration.ofSeconds(30)).until(() -> paged.stream().allMatch(id -> sandbox.incidentByKey("infrasage-" + id).isPresent()));

        HttpResponse<String> again = post(b, "/api/v1/anomalies", batch);
        assertThat(again.statusCode()).isEqualTo(202);
        List<String> repeated = new ArrayList<>();
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(again.body()).get("items")
                .forEach(item -> repeated.add(item.get("status").asText()));
        assertThat(repeated).containsOnly("duplicate");
        for (String id : paged) {
            assertThat(ingested("infrasage-" + id)).as(id).hasSize(1);
        }
        assertThat(ingested("infrasage-" + prefix + "symptom")).isEmpty();
    }

    @Test
    @Order(2)
    void eightyPagesForOneKeyPostedAcrossBothInstancesKeepOnePace() throws Exception {
        int pages = 80;
        String prefix = "kafka-storm-" + System.nanoTime() + "-";
        ExecutorService posters = Executors.newFixedThreadPool(8);
        AtomicInteger accepted = new AtomicInteger();
        for (int i = 0; i < pages; i++) {
            BundleJar instance = i % 2 == 0 ? a : b;
            String id = prefix + i;
            posters.execute(() -> {
                if (post(instance, "/api/v1/anomalies", anomaly(id, "storm-api")).statusCode() == 202) {
                    accepted.incrementAndGet();
                }
            });
        }
        posters.shutdown();
        assertThat(posters.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        assertThat(accepted.get()).isEqualTo(pages);
        // 60 per minute with a burst of 10: the last of 80 goes out after about 87 s
        await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofSeconds(1)).until(() -> sandbox.events().stream()
                .filter(e -> STORM_KEY.equals(e.routingKey()) && e.status() == 202).count() >= pages);

        List<ReceivedEvent> storm = sandbox.events().stream().filter(e -> STORM_KEY.equals(e.routingKey())).toList();
        long throttled = storm.stream().filter(e -> e.status() == 429).count();
        System.out.printf("80 pages across both instances: %d answers 429, last delivered %d s after the first%n", throttled,
                Duration.between(storm.get(0).at(), storm.get(storm.size() - 1).at()).toSeconds());
        assertThat(throttled).as("429s from PagerDuty's 60/min limit").isLessThanOrEqualTo(2);
        // no 60 s window of arrivals holds more than the limit
        List<Instant> arrivals = storm.stream().map(ReceivedEvent::at).sorted().toList();
        for (int i = 0; i + RATE_PER_MINUTE < arrivals.size(); i++) {
            assertThat(Duration.between(arrivals.get(i), arrivals.get(i + RATE_PER_MINUTE))).isGreaterThanOrEqualTo(Duration.ofSeconds(60));
        }
        for (int i = 0; i < pages; i++) {
            assertThat(sandbox.incidentsByKey("infrasage-" + prefix + i)).hasSize(1);
        }
    }

    @Test
    @Order(3)
    void anInstanceKilledRightAfterDeliveringLeavesNoTriggerToBeSentAgainAfterItsResolve() throws Exception {
        String prefix = "kafka-redeliver-" + System.nanoTime() + "-";
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String id = prefix + i;
            // the trigger at one instance, its resolve at once at the other: both delivered within moments
            assertThat(post(i % 2 == 0 ? a : b, "/api/v1/anomalies", anomaly(id, "redeliver-api")).statusCode()).isEqualTo(202);
            assertThat(post(i % 2 == 0 ? b : a, "/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"fix\"}").statusCode())
                    .isEqualTo(202);
            ids.add(id);
        }
        // kill the key's owner the moment PagerDuty has the last resolve: offsets are committed every 500 ms, so the
        // survivor often reads delivered triggers and resolves again
        BundleJar owner = ownerOf(REDELIVER_KEY);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10)).until(() -> ids.stream()
                .allMatch(id -> "resolved".equals(sandbox.incidentByKey("infrasage-" + id).orElseThrow().status())));
        BundleJar survivor = owner == a ? b : a;
        owner.kill();
        // the survivor takes the partition over (session timeout 10 s), works through what was not committed, and
        // commits past it: then everything it read again is delivered or dropped
        awaitEverythingCommitted(REDELIVER_KEY);
        for (String id : ids) {
            String key = "infrasage-" + id;
            assertThat(sandbox.incidentsByKey(key)).as("incidents of %s", key).hasSize(1);
            List<String> actions = ingested(key).stream().map(ReceivedEvent::eventAction).toList();
            assertThat(actions.lastIndexOf("trigger")).as("no trigger after the resolve of %s: %s", key, actions)
                    .isLessThan(actions.indexOf("resolve"));
        }
        System.out.printf("after the kill the survivor dropped %d delivered trigger(s) it read again%n",
                Files.readString(log(survivor)).lines().filter(l -> l.contains(prefix) && l.contains("dropped")).count());
        // back to two instances for the next test
        if (owner == a) {
            a = start(env, "a2");
        } else {
            b = start(env, "b2");
        }
    }

    private static final Map<BundleJar, Path> LOGS = new HashMap<>();

    /** Waits until the delivery group's committed offset of the key's partition is the partition's end. */
    private static void awaitEverythingCommitted(String routingKey) {
        TopicPartition tp = new TopicPartition(env.get("KAFKA_TOPIC_PREFIX") + "deliveries", partitionOf(routingKey));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() -> {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(env.get("KAFKA_TOPIC_PREFIX") + "dispatchers")
                        .partitionsToOffsetAndMetadata().get().get(tp);
                long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
                return committed != null && committed.offset() == end;
            });
        }
    }

    /** The deliveries partition of a routing key, as Kafka's producer picks it (2 partitions). */
    private static int partitionOf(String routingKey) {
        return Utils.toPositive(Utils.murmur2(routingKey.getBytes(StandardCharsets.UTF_8))) % 2;
    }

    private static Path log(BundleJar instance) {
        return LOGS.get(instance);
    }

    /** The instance whose deliveries consumer owns the key's partition: its outbox depth counts the key's events. */
    private static BundleJar ownerOf(String routingKey) {
        int partition = partitionOf(routingKey);
        String line = "delivering partitions";
        for (BundleJar instance : List.of(a, b)) {
            try {
                List<String> assigned = Files.readString(log(instance)).lines().filter(l -> l.contains(line)).toList();
                String last = assigned.isEmpty() ? "[]" : assigned.get(assigned.size() - 1);
                if (List.of(last.substring(last.lastIndexOf('[') + 1, last.lastIndexOf(']')).split(", ")).contains(Integer.toString(partition))) {
                    return instance;
                }
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("no instance owns partition " + partition);
    }

    @Test
    @Order(4)
    void withPagerDutyDownTheSurvivorOfAKillDeliversEveryAcceptedPageOnceAndInOrder() throws Exception {
        sandbox.faults().down();
        String prefix = "kafka-crash-" + System.nanoTime() + "-";
        List<String> ids = new ArrayList<>();
        int events = 0;
        for (int i = 0; i < 16; i++) {
            String id = prefix + i;
            BundleJar to = i % 2 == 0 ? a : b;
            assertThat(post(to, "/api/v1/anomalies", anomaly(id, "crash-api")).statusCode()).isEqualTo(202);
            ids.add(id);
            events++;
            if (i % 4 == 0) {
                // resolved through the other instance before PagerDuty ever saw the trigger
                BundleJar other = to == a ? b : a;
                assertThat(post(other, "/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"fix\"}").statusCode()).isEqualTo(202);
                events++;
            }
        }
        // every event is queued at the instance that owns the key's partition: that is the one to kill
        int total = events;
        await().atMost(Duration.ofSeconds(20)).until(() -> depth(a) + depth(b) == total);
        BundleJar owner = depth(a) > 0 ? a : b;
        BundleJar survivor = owner == a ? b : a;
        owner.kill();
        sandbox.faults().up();
        long back = System.nanoTime();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> ids.stream().allMatch(id ->
                ingested("infrasage-" + id).stream().filter(e -> e.eventAction().equals(i(id) % 4 == 0 ? "resolve" : "trigger")).count() > 0));
        System.out.printf("every accepted page delivered by the survivor %d ms after PagerDuty came back%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back));
        assertThat(survivor.alive()).isTrue();
        for (String id : ids) {
            String key = "infrasage-" + id;
            assertThat(sandbox.incidentsByKey(key)).as(key).hasSize(1);
            List<String> actions = ingested(key).stream().map(ReceivedEvent::eventAction).toList();
            if (i(id) % 4 == 0) {
                assertThat(actions.stream().distinct().toList()).as("order for %s", key).containsExactly("trigger", "resolve");
                assertThat(actions.lastIndexOf("trigger")).as("no trigger after the resolve of %s", key).isLessThan(actions.indexOf("resolve"));
                assertThat(sandbox.incidentsByKey(key).get(0).status()).isEqualTo("resolved");
            } else {
                assertThat(actions.stream().distinct().toList()).containsExactly("trigger");
            }
        }
    }

    private static int i(String id) {
        return Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
    }

    private static long depth(BundleJar instance) {
        HttpResponse<String> metrics = RunningBundle.send(HttpRequest.newBuilder(instance.managementUrl("/observe/metrics"))
                .timeout(Duration.ofSeconds(5)).GET().build());
        return metrics.body().lines().filter(l -> l.startsWith("infrasage_outbox_depth ")).findFirst()
                .map(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim())).orElse(-1L);
    }
}
