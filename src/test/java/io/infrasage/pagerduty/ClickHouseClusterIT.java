package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.WebhookAttempt;
import io.infrasage.pagerduty.testing.ClickHouseCluster;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CLICKHOUSE_CLUSTER on a real replicated cluster: two ClickHouse 18.16 replicas and one ZooKeeper, started by the
 * project's scripts. The schema lands on both replicas, what one instance writes through node 1 another reads through
 * node 2, and with node 1 stopped under traffic (CLICKHOUSE_URL naming both nodes) every page goes out and every row
 * arrives exactly once; with both stopped, pages still go out and their rows wait in the spool until a node is back.
 */
class ClickHouseClusterIT {

    static final String KEY = "C".repeat(28) + "lust";
    static final List<String> TABLES = List.of("anomaly_state", "audit_log", "incident_memory", "incident_notes", "page_memory",
            "schema_migrations", "webhook_deliveries");
    private static final ObjectMapper JSON = new ObjectMapper();

    static ClickHouseCluster cluster;
    /** One database for the class: ON CLUSTER DDL takes seconds on 18.16; each test checks only its own rows. */
    static String db;
    final List<AutoCloseable> running = new ArrayList<>();
    PagerDutySandbox sandbox;
    int webhookPort;

    @BeforeAll
    static void startCluster() {
        cluster = ClickHouseCluster.start();
        db = LocalClickHouse.uniqueDatabase("it_cluster");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void stopBundles() throws Exception {
        for (AutoCloseable c : running) {
            c.close();
        }
        cluster.start(1);
        cluster.start(2);
    }

    void startSandbox() {
        webhookPort = FreePorts.next();
        sandbox = PagerDutySandbox.builder().port(0).webhookRetryBackoff(Duration.ofMillis(200))
                .webhook("http://127.0.0.1:" + webhookPort + "/api/v1/pagerduty/webhook", List.of(RunningBundle.SECRET)).start();
        running.add(sandbox);
    }

    RunningBundle bundle(String clickHouseUrl, boolean receivesWebhooks) {
        Map<String, String> s = RunningBundle.baseSettings(clickHouseUrl, sandbox);
        s.put("clickhouse.cluster", ClickHouseCluster.NAME);
        s.put("pagerduty.service-key", KEY);
        if (receivesWebhooks) {
            s.put("camel.server.port", Integer.toString(webhookPort));
        }
        RunningBundle bundle = RunningBundle.start(s);
        running.add(0, bundle);
        return bundle;
    }

    String page(RunningBundle bundle, String prefix) {
        String id = prefix + "-" + System.nanoTime();
        assertThat(bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + id + "\",\"service\":\"payment-api\",\"score\":0.9}")
                .statusCode()).isEqualTo(202);
        return id;
    }

    @Test
    void theSchemaIsOnBothReplicasReplicatedAndRecordedOnceForTheCluster() {
        startSandbox();
        bundle(cluster.node(1).jdbcUrl(db), true);

        for (int n = 1; n <= 2; n++) {
            LocalClickHouse node = cluster.node(n);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(node.query(
                    "SELECT name, engine FROM system.tables WHERE database = '" + db + "' ORDER BY name FORMAT TSV").lines().toList())
                    .as("node " + node.httpPort()).containsExactly("anomaly_state\tReplicatedReplacingMergeTree", "audit_log\tReplicatedReplacingMergeTree",
                            "incident_memory\tReplicatedReplacingMergeTree", "incident_notes\tReplicatedReplacingMergeTree",
                            "page_memory\tReplicatedReplacingMergeTree", "schema_migrations\tReplicatedReplacingMergeTree",
                            "webhook_deliveries\tReplicatedReplacingMergeTree"));
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(node.query(
                    "SELECT version, name FROM " + db + ".schema_migrations ORDER BY version FORMAT TSV"))
                    .isEqualTo("1\tV001__create_tables.sql\n2\tV002__page_memory.sql"));
        }
        // a second instance, through the other node, finds the schema recorded and records nothing again
        bundle(cluster.node(2).jdbcUrl(db), false);
        assertThat(cluster.node(2).count("SELECT count() FROM " + db + ".schema_migrations")).isEqualTo(2);
        assertThat(cluster.node(1).count("SELECT count() FROM " + db + ".schema_migrations")).isEqualTo(2);
    }

    @Test
    void anAnomalyPagedThroughNode1IsListedByAnInstanceReadingNode2AndAWebhooksRowsAreOnBothReplicas() throws Exception {
        startSandbox();
        RunningBundle writer = bundle(cluster.node(1).jdbcUrl(db), true);
        RunningBundle reader = bundle(cluster.node(2).jdbcUrl(db), false);

        String id = page(writer, "cluster");
        await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.incidentByKey("infrasage-" + id).isPresent());
        String incident = sandbox.incidentByKey("infrasage-" + id).orElseThrow().id();
        sandbox.acknowledge(incident, "Alice Example");
        assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(15))).isTrue();

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode acked = JSON.readTree(reader.get(reader.url("/api/v1/pagerduty/incidents?status=acknowledged")).body());
            assertThat(acked.get("count").asInt()).isEqualTo(1);
            JsonNode listed = acked.get("incidents").get(0);
            assertThat(listed.get("anomaly_id").asText()).isEqualTo(id);
            assertThat(listed.get("service").asText()).isEqualTo("payment-api");
            assertThat(listed.get("severity").asText()).isEqualTo("critical");
            assertThat(listed.get("acknowledged_by").asText()).isEqualTo("Alice Example");
        });
        String ackEvent = sandbox.webhookAttempts().stream().filter(a -> a.eventType().equals("incident.acknowledged"))
                .findFirst().orElseThrow().eventId();
        for (int n = 1; n <= 2; n++) {
            LocalClickHouse node = cluster.node(n);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(node.count("SELECT count() FROM " + db + ".webhook_deliveries WHERE event_id = '" + ackEvent + "'")).isEqualTo(1);
                assertThat(node.count("SELECT count() FROM " + db + ".audit_log WHERE entry_id LIKE '" + ackEvent + "%'")).isEqualTo(1);
                assertThat(node.count("SELECT count() FROM " + db + ".anomaly_state WHERE change_id = '" + ackEvent + "'")).isEqualTo(1);
            });
        }
    }

    @Test
    void withNode1StoppedUnderTrafficEveryPageGoesOutAndEveryRowArrivesOnceThroughNode2() {
        startSandbox();
        RunningBundle bundle = bundle(cluster.bothNodesUrl(1, db), true);
        List<String> before = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            before.add(page(bundle, "before"));
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> before.stream().allMatch(i -> sandbox.incidentByKey("infrasage-" + i).isPresent()));

        cluster.node(1).stop();
        // an instance (re)started while node 1 is away is ready at once: the recorded migrations are not run ON CLUSTER again
        bundle(cluster.node(2).jdbcUrl(db), false);
        List<String> during = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            during.add(page(bundle, "during"));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> during.stream().allMatch(i -> sandbox.incidentByKey("infrasage-" + i).isPresent()));
        for (String id : during) {
            sandbox.acknowledge(sandbox.incidentByKey("infrasage-" + id).orElseThrow().id(), "Bob Example");
        }
        assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(30))).isTrue();
        List<WebhookAttempt> acks = sandbox.webhookAttempts().stream().filter(a -> a.eventType().equals("incident.acknowledged")).toList();
        // answered by node 2 while node 1 is away
        assertThat(acks).extracting(WebhookAttempt::status).containsOnly(200);
        LocalClickHouse node2 = cluster.node(2);
        // what was written through node 1 reaches node 2 only once node 1 is back to send it; what came after is on node 2 now
        String duringIds = "('" + String.join("', '", during) + "')";
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(node2.count("SELECT uniqExact(anomaly_id) FROM " + db
                + ".anomaly_state WHERE incident_id != '' AND anomaly_id IN " + duringIds)).isEqualTo(during.size()));
        List<String> all = new ArrayList<>(before);
        all.addAll(during);
        String ids = "('" + String.join("', '", all) + "')";

        // both nodes away: pages still go out, their rows wait in the spool until a node is back
        node2.stop();
        List<String> neither = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            neither.add(page(bundle, "neither"));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> neither.stream().allMatch(i -> sandbox.incidentByKey("infrasage-" + i).isPresent()));
        all.addAll(neither);
        String allIds = "('" + String.join("', '", all) + "')";
        cluster.start(2);
        String neitherIds = "('" + String.join("', '", neither) + "')";
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(node2.count("SELECT uniqExact(anomaly_id) FROM " + db
                + ".anomaly_state WHERE teams != '' AND anomaly_id IN " + neitherIds)).isEqualTo(neither.size()));

        cluster.start(1);
        for (int n = 1; n <= 2; n++) {
            LocalClickHouse node = cluster.node(n);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(node.count("SELECT uniqExact(anomaly_id) FROM " + db + ".anomaly_state WHERE incident_id != '' AND anomaly_id IN "
                        + ids)).isEqualTo(all.size() - neither.size());
                assertThat(node.count("SELECT uniqExact(anomaly_id) FROM " + db + ".anomaly_state WHERE teams != '' AND anomaly_id IN "
                        + allIds)).isEqualTo(all.size());
                for (WebhookAttempt ack : acks) {
                    assertThat(node.count("SELECT count() FROM " + db + ".webhook_deliveries WHERE event_id = '" + ack.eventId() + "'"))
                            .as("delivery %s on node %s", ack.eventId(), node.httpPort()).isEqualTo(1);
                    assertThat(node.count("SELECT count() FROM " + db + ".anomaly_state WHERE change_id = '" + ack.eventId() + "'"))
                            .isEqualTo(1);
                }
                // every state change once: as many rows as distinct (anomaly, change) keys
                assertThat(node.query("SELECT count() = uniqExact(anomaly_id, change_id) FROM " + db + ".anomaly_state")).isEqualTo("1");
            });
        }
    }
}
