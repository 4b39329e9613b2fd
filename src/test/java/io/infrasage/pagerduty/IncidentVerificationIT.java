package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/** Seed "Verification": the incidents the bundle created, from PagerDuty's REST API, joined with their anomalies. */
class IncidentVerificationIT {

    static final String PAYMENTS = "P".repeat(28) + "ver1";
    static final String DEFAULT = "D".repeat(28) + "ver2";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void listsTheSandboxsTriggeredIncidentsJoinedWithTheirAnomalies() throws Exception {
        LocalClickHouse clickHouse = LocalClickHouse.shared();
        int port = FreePorts.next();
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().port(0)
                .webhook("http://127.0.0.1:" + port + "/api/v1/pagerduty/webhook", List.of(RunningBundle.SECRET)).start()) {
            Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(LocalClickHouse.uniqueDatabase("it_verify")), sandbox);
            s.put("camel.server.port", Integer.toString(port));
            s.put("pagerduty.routing-rules", "[{\"service_pattern\":\"payment-*\",\"service_key\":\"" + PAYMENTS + "\",\"team\":\"payments\"}]");
            s.put("pagerduty.service-key", DEFAULT);
            try (RunningBundle bundle = RunningBundle.start(s)) {
                List<String> ids = new ArrayList<>();
                for (String service : List.of("payment-api", "search-api", "payment-db")) {
                    String id = "verify-" + service + "-" + System.nanoTime();
                    bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + id + "\",\"service\":\"" + service + "\",\"score\":0.85}");
                    ids.add(id);
                }
                await().atMost(Duration.ofSeconds(15)).until(() -> ids.stream().allMatch(i -> sandbox.incidentByKey("infrasage-" + i).isPresent()));
                // an incident InfraSage did not create is not listed
                RunningBundle.send(HttpRequest.newBuilder(URI.create(sandbox.eventsUrl())).POST(HttpRequest.BodyPublishers.ofString(
                        "{\"routing_key\":\"" + DEFAULT + "\",\"event_action\":\"trigger\",\"dedup_key\":\"other-tool-1\","
                                + "\"payload\":{\"summary\":\"other\",\"source\":\"x\",\"severity\":\"info\"}}")).build());
                sandbox.acknowledge(sandbox.incidentByKey("infrasage-" + ids.get(2)).orElseThrow().id(), "Alice Example");
                String db = s.get("clickhouse.url").replaceAll(".*/([a-z_0-9]+)\\?.*", "$1");
                await().atMost(Duration.ofSeconds(15)).until(() -> clickHouse.query("SELECT count() FROM " + db
                        + ".audit_log WHERE action = 'acknowledged'").equals("1"));
                // the pages' own state rows reach ClickHouse through the spool, on their own schedule
                await().atMost(Duration.ofSeconds(15)).until(() -> clickHouse.query("SELECT uniqExact(anomaly_id) FROM " + db
                        + ".anomaly_state WHERE teams != '' AND anomaly_id IN ('" + String.join("', '", ids) + "')").equals("3"));

                JsonNode triggered = JSON.readTree(bundle.get(bundle.url("/api/v1/pagerduty/incidents?status=triggered")).body());
                assertThat(triggered.get("count").asInt()).isEqualTo(2);
                Map<String, JsonNode> byAnomaly = new java.util.HashMap<>();
                triggered.get("incidents").forEach(i -> byAnomaly.put(i.get("anomaly_id").asText(), i));
                assertThat(byAnomaly.keySet()).containsExactlyInAnyOrder(ids.get(0), ids.get(1));
                JsonNode payment = byAnomaly.get(ids.get(0));
                assertThat(payment.get("service").asText()).isEqualTo("payment-api");
                assertThat(payment.get("severity").asText()).isEqualTo("critical");
                assertThat(payment.get("teams").asText()).isEqualTo("payments(****ver1)");
                assertThat(payment.get("status").asText()).isEqualTo("triggered");
                assertThat(payment.get("incident_id").asText()).isEqualTo(sandbox.incidentByKey("infrasage-" + ids.get(0)).orElseThrow().id());
                assertThat(byAnomaly.get(ids.get(1)).get("teams").asText()).isEqualTo("default(****ver2)");
                assertThat(payment.get("acknowledged_by").isNull()).as("a triggered incident has no acknowledger").isTrue();

                JsonNode acked = JSON.readTree(bundle.get(bundle.url("/api/v1/pagerduty/incidents?status=acknowledged")).body());
                assertThat(acked.get("count").asInt()).isEqualTo(1);
                assertThat(acked.get("incidents").get(0).get("acknowledged_by").asText()).isEqualTo("Alice Example");
                assertThat(acked.toString()).doesNotContain(PAYMENTS).doesNotContain(DEFAULT);

                var bad = bundle.get(bundle.url("/api/v1/pagerduty/incidents?status=open"));
                assertThat(bad.statusCode()).isEqualTo(400);
                assertThat(bad.body()).contains("status 'open' is not one of triggered, acknowledged, resolved");

                // a repeated status is a list; an empty one is refused rather than listing every incident
                JsonNode repeated = JSON.readTree(bundle.get(bundle.url("/api/v1/pagerduty/incidents?status=triggered&status=acknowledged")).body());
                assertThat(repeated.get("statuses")).hasSize(2);
                assertThat(repeated.get("count").asInt()).isEqualTo(3);
                for (String empty : List.of("", ",,,")) {
                    var refused = bundle.get(bundle.url("/api/v1/pagerduty/incidents?status=" + empty));
                    assertThat(refused.statusCode()).as(empty).isEqualTo(400);
                    assertThat(refused.body()).contains("status has an empty value");
                }
            }
        }
    }

    @Test
    void withoutAnApiTokenItSaysWhichSettingIsMissing() {
        Map<String, String> s = RunningBundle.baseSettings(LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase("it_verify")));
        s.put("pagerduty.service-key", DEFAULT);
        try (RunningBundle bundle = RunningBundle.start(s)) {
            var answer = bundle.get(bundle.url("/api/v1/pagerduty/incidents"));
            assertThat(answer.statusCode()).isEqualTo(503);
            assertThat(answer.body()).contains("PAGERDUTY_API_TOKEN");
        }
    }
}
