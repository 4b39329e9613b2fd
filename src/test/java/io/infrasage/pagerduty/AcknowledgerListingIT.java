package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/**
 * The verification listing after the incident moved on: who acknowledged it is still named once it is resolved, and a
 * former acknowledger is not named after an unacknowledge or a reopen.
 */
class AcknowledgerListingIT {

    static final String KEY = "A".repeat(28) + "ack1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LocalClickHouse clickHouse = LocalClickHouse.shared();

    @Test
    void anAcknowledgedThenResolvedIncidentNamesWhoAcknowledgedItAndAStaleAcknowledgerIsNotNamed() throws Exception {
        int port = FreePorts.next();
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder()
                .webhook("http://127.0.0.1:" + port + "/api/v1/pagerduty/webhook", List.of(RunningBundle.SECRET)).start()) {
            String db = LocalClickHouse.uniqueDatabase("it_acker");
            Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(db), sandbox);
            s.put("camel.server.port", Integer.toString(port));
            s.put("pagerduty.service-key", KEY);
            try (RunningBundle bundle = RunningBundle.start(s)) {
                long n = System.nanoTime();
                String byRunbook = "acked-then-runbook-" + n;
                String unacked = "acked-unacked-" + n;
                String reopened = "acked-reopened-" + n;
                for (String id : List.of(byRunbook, unacked, reopened)) {
                    assertThat(bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + id + "\",\"service\":\"payment-api\",\"score\":0.9}")
                            .statusCode()).isEqualTo(202);
                }
                await().atMost(Duration.ofSeconds(15)).until(() -> List.of(byRunbook, unacked, reopened).stream()
                        .allMatch(id -> sandbox.incidentByKey("infrasage-" + id).isPresent()));
                for (String id : List.of(byRunbook, unacked, reopened)) {
                    sandbox.acknowledge(incident(sandbox, id), "Alice Example");
                }
                await().atMost(Duration.ofSeconds(15)).until(() -> clickHouse.count("SELECT count() FROM " + db
                        + ".audit_log WHERE action = 'acknowledged'") == 3);

                // the case: an engineer acknowledges, a runbook resolves through the bundle
                bundle.postJson("/api/v1/anomalies/" + byRunbook + "/resolve", "{\"runbook\":\"restart-pods\"}");
                sandbox.unacknowledge(incident(sandbox, unacked));
                sandbox.resolve(incident(sandbox, unacked), "Bob Example");
                sandbox.resolve(incident(sandbox, reopened), "Bob Example");
                sandbox.reopen(incident(sandbox, reopened), "Bob Example");
                await().atMost(Duration.ofSeconds(15)).until(() -> clickHouse.count("SELECT count() FROM " + db
                        + ".audit_log WHERE action IN ('resolved', 'unacknowledged', 'reopened') AND source = 'webhook'") == 5);

                Map<String, JsonNode> listed = listed(bundle, "resolved,triggered,acknowledged");
                assertThat(listed.get(byRunbook).get("status").asText()).isEqualTo("resolved");
                assertThat(listed.get(byRunbook).get("acknowledged_by").asText()).isEqualTo("Alice Example");
                assertThat(listed.get(unacked).get("status").asText()).isEqualTo("resolved");
                assertThat(listed.get(unacked).get("acknowledged_by").isNull()).as("unacknowledged before the resolve").isTrue();
                assertThat(listed.get(reopened).get("status").asText()).isEqualTo("triggered");
                assertThat(listed.get(reopened).get("acknowledged_by").isNull()).as("reopened after the resolve").isTrue();

                // acknowledged again after the reopen: the new acknowledgement is named, through its resolve too
                sandbox.acknowledge(incident(sandbox, reopened), "Carol Example");
                sandbox.resolve(incident(sandbox, reopened), "Carol Example");
                await().atMost(Duration.ofSeconds(15)).until(() -> "Carol Example".equals(
                        listed(bundle, "resolved").get(reopened).path("acknowledged_by").asText(null)));
            }
        }
    }

    private static String incident(PagerDutySandbox sandbox, String anomalyId) {
        return sandbox.incidentByKey("infrasage-" + anomalyId).orElseThrow().id();
    }

    private static Map<String, JsonNode> listed(RunningBundle bundle, String statuses) throws Exception {
        var answer = bundle.get(bundle.url("/api/v1/pagerduty/incidents?status=" + statuses));
        assertThat(answer.statusCode()).isEqualTo(200);
        Map<String, JsonNode> byAnomaly = new HashMap<>();
        JSON.readTree(answer.body()).get("incidents").forEach(i -> byAnomaly.put(i.get("anomaly_id").asText(), i));
        return byAnomaly;
    }
}
