package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Seed steps 1 and 3 end to end: anomaly in over HTTP, Events API v2 out to the strict sandbox, state in ClickHouse. */
class AnomalyToPagerDutyIT {

    static final String PAYMENTS = "P".repeat(28) + "pay1";
    static final String PLATFORM = "L".repeat(28) + "plt1";
    static final String CHECKOUT = "C".repeat(28) + "chk1";
    static final String DEFAULT = "D".repeat(28) + "def1";
    static final String RULES = "[" + rule("payment-*", PAYMENTS, "payments", false) + "," + rule("infra-*", PLATFORM, "platform", false)
            + "," + rule("checkout-*", CHECKOUT, "checkout", true) + "," + rule("checkout-*", PAYMENTS, "payments", false)
            + "," + rule("*", DEFAULT, "default", false) + "]";
    private static final ObjectMapper JSON = new ObjectMapper();

    static PagerDutySandbox sandbox;
    final LocalClickHouse clickHouse = LocalClickHouse.shared();
    String db;
    RunningBundle bundle;

    static String rule(String pattern, String key, String team, boolean cont) {
        return "{\"service_pattern\":\"" + pattern + "\",\"service_key\":\"" + key + "\",\"team\":\"" + team + "\",\"continue\":" + cont + "}";
    }

    @BeforeAll
    static void startSandbox() {
        sandbox = PagerDutySandbox.builder().port(0).start();
    }

    @AfterAll
    static void stopSandbox() {
        sandbox.close();
    }

    @BeforeEach
    void startBundle() {
        sandbox.faults().clear();
        db = LocalClickHouse.uniqueDatabase("it_out");
        Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(db));
        s.put("pagerduty.events-url", sandbox.eventsUrl());
        s.put("pagerduty.routing-rules", RULES);
        bundle = RunningBundle.start(s);
    }

    @AfterEach
    void stopBundle() {
        bundle.close();
    }

    static String anomaly(String id, String service, double score) {
        return "{\"anomaly_id\":\"" + id + "\",\"service\":\"" + service + "\",\"score\":" + score
                + ",\"metric\":\"CPU\",\"value\":87,\"unit\":\"%\",\"environment\":\"production\"}";
    }

    static String unique(String prefix) {
        return prefix + "-" + System.nanoTime();
    }

    List<ReceivedEvent> eventsFor(String dedupKey) {
        return sandbox.events().stream().filter(e -> dedupKey.equals(e.dedupKey())).toList();
    }

    List<ReceivedEvent> awaitEvents(String dedupKey, int count) {
        await().atMost(Duration.ofSeconds(15)).until(() -> eventsFor(dedupKey).stream().filter(e -> e.status() == 202).count() >= count);
        return eventsFor(dedupKey).stream().filter(e -> e.status() == 202).toList();
    }

    @Test
    void seedExampleAnomalyYieldsTheSeedsEventFieldForField() throws Exception {
        String id = unique("anom-7f3d");
        String body = "{\"anomaly_id\":\"" + id + "\",\"service\":\"payment-api\",\"metric\":\"CPU\",\"value\":87,\"unit\":\"%\","
                + "\"score\":0.93,\"root_cause\":\"CPU saturation from DB connection pool exhaustion\","
                + "\"blast_radius\":[\"user-service\",\"checkout-service\"],\"suggested_actions\":[\"Scale to 5 pods\",\"Restart pods\"],"
                + "\"rca_confidence\":0.92,\"environment\":\"production\",\"infrasage_url\":\"https://infrasage.mycompany.com/incidents/" + id + "\"}";
        var answer = bundle.postJson("/api/v1/anomalies", body);
        assertThat(answer.statusCode()).isEqualTo(202);
        JsonNode a = JSON.readTree(answer.body());
        assertThat(a.get("dedup_key").asText()).isEqualTo("infrasage-" + id);
        assertThat(a.get("severity").asText()).isEqualTo("critical");
        assertThat(a.get("teams").get(0).get("team").asText()).isEqualTo("payments");
        assertThat(a.get("teams").get(0).get("routing_key").asText()).isEqualTo("****pay1");
        assertThat(answer.body()).doesNotContain(PAYMENTS);

        JsonNode event = awaitEvents("infrasage-" + id, 1).get(0).body();
        assertThat(event.get("routing_key").asText()).isEqualTo(PAYMENTS);
        assertThat(event.get("event_action").asText()).isEqualTo("trigger");
        JsonNode p = event.get("payload");
        assertThat(p.get("summary").asText()).isEqualTo("CPU anomaly on payment-api: 87% CPU (score: 0.93)");
        assertThat(p.get("severity").asText()).isEqualTo("critical");
        assertThat(p.get("source").asText()).isEqualTo("infrasage");
        assertThat(p.get("component").asText()).isEqualTo("payment-api");
        assertThat(p.get("group").asText()).isEqualTo("production");
        JsonNode d = p.get("custom_details");
        assertThat(d.get("anomaly_id").asText()).isEqualTo(id);
        assertThat(d.get("root_cause").asText()).isEqualTo("CPU saturation from DB connection pool exhaustion");
        assertThat(JSON.convertValue(d.get("blast_radius"), List.class)).containsExactly("user-service", "checkout-service");
        assertThat(JSON.convertValue(d.get("suggested_actions"), List.class)).containsExactly("Scale to 5 pods", "Restart pods");
        assertThat(d.get("rca_confidence").asDouble()).isEqualTo(0.92);
        assertThat(d.get("infrasage_url").asText()).isEqualTo("https://infrasage.mycompany.com/incidents/" + id);
        assertThat(sandbox.incidentByKey("infrasage-" + id)).isPresent();
    }

    @Test
    void routingRulesChooseTheTeamByServicePattern() {
        Map<String, String> expected = Map.of("payment-api", PAYMENTS, "infra-db", PLATFORM, "search-api", DEFAULT);
        expected.forEach((service, key) -> {
            String id = unique(service);
            assertThat(bundle.postJson("/api/v1/anomalies", anomaly(id, service, 0.9)).statusCode()).isEqualTo(202);
            assertThat(awaitEvents("infrasage-" + id, 1)).extracting(ReceivedEvent::routingKey).containsExactly(key);
        });
    }

    @Test
    void continueRuleFansOutAndTheResolveReachesExactlyTheKeysTheTriggerReached() {
        String id = unique("fanout");
        bundle.postJson("/api/v1/anomalies", anomaly(id, "checkout-api", 0.7));
        assertThat(awaitEvents("infrasage-" + id, 2)).extracting(ReceivedEvent::routingKey).containsExactlyInAnyOrder(CHECKOUT, PAYMENTS);

        var resolved = bundle.postJson("/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"restart-pods\",\"actor\":\"runbook-bot\"}");
        assertThat(resolved.statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(15)).until(() -> eventsFor("infrasage-" + id).stream()
                .filter(e -> e.eventAction().equals("resolve") && e.status() == 202).count() == 2);
        assertThat(eventsFor("infrasage-" + id)).filteredOn(e -> e.eventAction().equals("resolve"))
                .extracting(ReceivedEvent::routingKey).containsExactlyInAnyOrder(CHECKOUT, PAYMENTS);
        assertThat(sandbox.incidentsByKey("infrasage-" + id)).hasSize(2).allMatch(i -> i.status().equals("resolved"));
    }

    @Test
    void scoresMapToTheDocumentedSeverities() throws Exception {
        Map<Double, String> bands = Map.of(0.39, "suppressed", 0.4, "warning", 0.59, "warning", 0.6, "error", 0.8, "critical", 1.0, "critical");
        for (var band : bands.entrySet()) {
            String id = unique("score");
            var answer = bundle.postJson("/api/v1/anomalies", anomaly(id, "search-api", band.getKey()));
            JsonNode a = JSON.readTree(answer.body());
            if (band.getValue().equals("suppressed")) {
                assertThat(a.get("status").asText()).isEqualTo("suppressed");
                await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3))
                        .untilAsserted(() -> assertThat(eventsFor("infrasage-" + id)).isEmpty());
            } else {
                assertThat(a.get("severity").asText()).as("score %s", band.getKey()).isEqualTo(band.getValue());
                assertThat(awaitEvents("infrasage-" + id, 1).get(0).body().at("/payload/severity").asText()).isEqualTo(band.getValue());
            }
        }
    }

    @Test
    void theSameAnomalyPostedTwiceMakesOneIncidentAndAfterItsResolveNoNewPage() throws Exception {
        String id = unique("twice");
        assertThat(JSON.readTree(bundle.postJson("/api/v1/anomalies", anomaly(id, "payment-api", 0.9)).body()).get("status").asText())
                .isIn("queued", "sent");
        var second = bundle.postJson("/api/v1/anomalies", anomaly(id, "payment-api", 0.95));
        assertThat(second.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(second.body()).get("status").asText()).isEqualTo("duplicate");
        awaitEvents("infrasage-" + id, 1);
        bundle.postJson("/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"scale-up\"}");
        await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.incidentByKey("infrasage-" + id).get().status().equals("resolved"));

        var again = bundle.postJson("/api/v1/anomalies", anomaly(id, "payment-api", 0.9));
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(again.body()).get("status").asText()).isEqualTo("already_resolved");
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).untilAsserted(() ->
                assertThat(eventsFor("infrasage-" + id)).filteredOn(e -> e.eventAction().equals("trigger")).hasSize(1));
        assertThat(sandbox.incidentsByKey("infrasage-" + id)).hasSize(1);
    }

    @Test
    void aResolveForAnAnomalyNeverPagedIs404AndLeavesNothingQueuedForALaterPage() throws Exception {
        String id = unique("early-resolve");
        var early = bundle.postJson("/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"restart-pods\"}");
        assertThat(early.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(early.body()).get("error").asText()).isEqualTo("unknown anomaly");
        assertThat(early.body()).contains(id).doesNotContain("Exception");

        // the same anomaly posted afterwards pages once, and no resolve follows it
        assertThat(bundle.postJson("/api/v1/anomalies", anomaly(id, "payment-api", 0.9)).statusCode()).isEqualTo(202);
        awaitEvents("infrasage-" + id, 1);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).untilAsserted(() ->
                assertThat(eventsFor("infrasage-" + id)).extracting(ReceivedEvent::eventAction).containsExactly("trigger"));
        assertThat(sandbox.incidentByKey("infrasage-" + id).orElseThrow().status()).isEqualTo("triggered");
    }

    @Test
    void throttledThenServerErrorThenAcceptedIsDeliveredExactlyOnce() {
        sandbox.faults().respond(429, 1).respond(500, 1);
        String id = unique("retry");
        bundle.postJson("/api/v1/anomalies", anomaly(id, "payment-api", 0.9));
        awaitEvents("infrasage-" + id, 1);
        List<ReceivedEvent> seen = eventsFor("infrasage-" + id);
        assertThat(seen).extracting(ReceivedEvent::status).containsExactly(429, 500, 202);
        assertThat(sandbox.incidentsByKey("infrasage-" + id)).hasSize(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> clickHouse.query("SELECT argMaxIf(status, version, status != '') FROM "
                + db + ".anomaly_state WHERE anomaly_id = '" + id + "'").equals("sent"));
    }

    @Test
    void withADeliveryWaitTheCallerLearnsThatPagerDutyHasThePage() throws Exception {
        Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(db));
        s.put("pagerduty.events-url", sandbox.eventsUrl());
        s.put("pagerduty.routing-rules", RULES);
        s.put("anomaly.delivery-wait", "5s");
        try (RunningBundle waiting = RunningBundle.start(s)) {
            String id = unique("wait");
            var answer = waiting.postJson("/api/v1/anomalies", anomaly(id, "checkout-api", 0.9));
            assertThat(JSON.readTree(answer.body()).get("status").asText()).isEqualTo("sent");
            // "sent" only once PagerDuty accepted the trigger for both teams
            assertThat(eventsFor("infrasage-" + id)).filteredOn(e -> e.status() == 202).hasSize(2);
        }
    }

    @Test
    void badInputGetsA400NamingEveryProblemAndNothingIsPaged() throws Exception {
        var answer = bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"x y\",\"score\":1.5}");
        assertThat(answer.statusCode()).isEqualTo(400);
        JsonNode a = JSON.readTree(answer.body());
        assertThat(a.get("error").asText()).isEqualTo("invalid anomaly");
        assertThat(a.get("problems").toString()).contains("service").contains("score").contains("anomaly_id");
        assertThat(answer.body()).doesNotContain("Exception").doesNotContain("\tat ");
        var notJson = bundle.postJson("/api/v1/anomalies", "{not json");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(notJson.body()).contains("not valid JSON");
    }
}
