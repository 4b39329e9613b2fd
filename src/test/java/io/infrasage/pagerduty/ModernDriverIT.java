package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.sandbox.Incident;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.ChDbServer;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/**
 * The production driver path: a plain jdbc:clickhouse:// URL (the JDBC v2 driver, RowBinaryWithNamesAndTypes results)
 * against ClickHouse 26.x's engine (chDB behind ChDbServer, ClickHouse's HTTP interface). A modern server may run
 * inserts asynchronously (async_insert, on by default since 26.3) and answer before the rows are written; chDB's engine
 * has no such queue (it belongs to the server), so what is proven here is that every INSERT the bundle sends carries
 * async_insert=0, and that a webhook's rows are there the moment it is answered 2xx.
 */
class ModernDriverIT {

    static final String KEY = "M".repeat(28) + "dern";
    private static final ObjectMapper JSON = new ObjectMapper();

    final ChDbServer clickHouse = ChDbServer.shared();

    @Test
    void migrationsPagesWebhooksAndTheListingRunOnTheV2DriverWithEveryInsertPersistedBeforeItsAnswer() throws Exception {
        String db = "it_modern_" + System.nanoTime();
        int port = FreePorts.next();
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().port(0).webhookRetryBackoff(Duration.ofMillis(100))
                .webhook("http://127.0.0.1:" + port + "/api/v1/pagerduty/webhook", List.of(RunningBundle.SECRET)).start()) {
            Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(db), sandbox);
            s.put("camel.server.port", Integer.toString(port));
            s.put("pagerduty.service-key", KEY);
            try (RunningBundle bundle = RunningBundle.start(s)) {
                assertThat(clickHouse.query("SELECT name, engine FROM system.tables WHERE database = '" + db + "' ORDER BY name FORMAT TSV"))
                        .contains("anomaly_state\tReplacingMergeTree", "webhook_deliveries\tReplacingMergeTree");
                assertThat(clickHouse.count("SELECT count() FROM " + db + ".schema_migrations FINAL")).isEqualTo(2);

                String id = "modern-" + System.nanoTime();
                assertThat(bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + id + "\",\"service\":\"payment-api\",\"score\":0.9}")
                        .statusCode()).isEqualTo(202);
                await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.incidentByKey("infrasage-" + id).isPresent());
                Incident incident = sandbox.incidentByKey("infrasage-" + id).orElseThrow();
                assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(15))).isTrue();

                sandbox.acknowledge(incident.id(), "Alice Example");
                assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(15))).isTrue();
                String ackEvent = sandbox.webhookAttempts().stream().filter(a -> a.eventType().equals("incident.acknowledged"))
                        .filter(a -> a.status() == 200).findFirst().orElseThrow().eventId();
                // answered 2xx, so persisted: no waiting here
                assertThat(clickHouse.count("SELECT count() FROM " + db + ".audit_log WHERE entry_id LIKE '" + ackEvent + "%'")).isEqualTo(1);
                assertThat(clickHouse.count("SELECT count() FROM " + db + ".webhook_deliveries WHERE event_id = '" + ackEvent + "'")).isEqualTo(1);

                // the same delivery again is recognised (a read on the v2 path) and writes nothing
                sandbox.redeliver(ackEvent, 2);
                assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(15))).isTrue();
                assertThat(clickHouse.count("SELECT count() FROM " + db + ".anomaly_state WHERE change_id = '" + ackEvent + "'")).isEqualTo(1);

                JsonNode acked = JSON.readTree(bundle.get(bundle.url("/api/v1/pagerduty/incidents?status=acknowledged")).body());
                assertThat(acked.get("count").asInt()).isEqualTo(1);
                assertThat(acked.get("incidents").get(0).get("anomaly_id").asText()).isEqualTo(id);
                assertThat(acked.get("incidents").get(0).get("acknowledged_by").asText()).isEqualTo("Alice Example");
            }
            // a second start on the v2 path finds the schema and its record as they were
            String schema = clickHouse.query("SELECT table, name, type FROM system.columns WHERE database = '" + db + "' ORDER BY table, name FORMAT TSV");
            try (RunningBundle again = RunningBundle.start(s)) {
                assertThat(clickHouse.query("SELECT table, name, type FROM system.columns WHERE database = '" + db
                        + "' ORDER BY table, name FORMAT TSV")).isEqualTo(schema);
                assertThat(clickHouse.count("SELECT count() FROM " + db + ".schema_migrations")).isEqualTo(2);
            }
            List<ChDbServer.Request> inserts = clickHouse.requests().stream()
                    .filter(r -> r.sql().stripLeading().toUpperCase().startsWith("INSERT") && r.sql().contains(db)).toList();
            assertThat(inserts).as("the bundle's INSERTs").isNotEmpty()
                    .allSatisfy(r -> assertThat(r.settings()).containsEntry("async_insert", "0"));
        }
    }
}
