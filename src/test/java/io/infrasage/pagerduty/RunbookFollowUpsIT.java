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
import io.infrasage.pagerduty.sandbox.ReceivedEvent;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A runbook between trigger and resolve: POST .../acknowledge and POST .../changes reach PagerDuty (the sandbox) under
 * exactly the trigger's routing keys, in the order they were posted, and are audited in ClickHouse.
 */
class RunbookFollowUpsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** An event orchestration (ruleset) key: PagerDuty's start with R, and take no change events. */
    static final String RULESET = "R0" + "r".repeat(26) + "rls1";
    static final String RULES = "[" + AnomalyToPagerDutyIT.rule("orchestrated-*", RULESET, "orchestrated", true) + ","
            + AnomalyToPagerDutyIT.rule("orchestrated-*", AnomalyToPagerDutyIT.PLATFORM, "platform", false) + ","
            + AnomalyToPagerDutyIT.RULES.substring(1);
    static PagerDutySandbox sandbox;
    static RunningBundle bundle;
    static String db;
    static final LocalClickHouse clickHouse = LocalClickHouse.shared();

    @BeforeAll
    static void start() {
        sandbox = PagerDutySandbox.builder().port(0).start();
        db = LocalClickHouse.uniqueDatabase("it_follow");
        Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(db));
        s.put("pagerduty.events-url", sandbox.eventsUrl());
        s.put("pagerduty.routing-rules", RULES);
        bundle = RunningBundle.start(s);
    }

    @AfterAll
    static void stop() {
        bundle.close();
        sandbox.close();
    }

    /** Events and change events the sandbox accepted for one anomaly, in arrival order. */
    static List<ReceivedEvent> accepted(String id) {
        return sandbox.events().stream().filter(e -> e.status() == 202)
                .filter(e -> ("infrasage-" + id).equals(e.dedupKey())
                        || ReceivedEvent.CHANGE.equals(e.eventAction()) && id.equals(e.body().path("payload").path("custom_details").path("anomaly_id").asText()))
                .toList();
    }

    @Test
    void acknowledgeThenChangeThenResolveReachTheTriggersRoutingKeysInOrder() throws Exception {
        String id = AnomalyToPagerDutyIT.unique("anom-follow");
        // checkout-api pages two teams: Checkout and Payments
        assertThat(bundle.postJson("/api/v1/anomalies", AnomalyToPagerDutyIT.anomaly(id, "checkout-api", 0.9)).statusCode()).isEqualTo(202);
        var ack = bundle.postJson("/api/v1/anomalies/" + id + "/acknowledge",
                "{\"runbook\":\"restart-pods\",\"actor\":\"runbook-bot\",\"note\":\"restarting\"}");
        assertThat(ack.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(ack.body()).get("status").asText()).isEqualTo("queued");
        var change = bundle.postJson("/api/v1/anomalies/" + id + "/changes", "{\"summary\":\"runbook restart-pods restarted 3 pods of "
                + "checkout-api\",\"runbook\":\"restart-pods\",\"details\":{\"pods\":3},"
                + "\"links\":[{\"href\":\"https://runbooks.example.com/restart-pods\",\"text\":\"run log\"}]}");
        assertThat(change.statusCode()).isEqualTo(202);
        assertThat(bundle.postJson("/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"restart-pods\"}").statusCode()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(20)).until(() -> accepted(id).size() == 8);
        for (String key : List.of(AnomalyToPagerDutyIT.CHECKOUT, AnomalyToPagerDutyIT.PAYMENTS)) {
            List<ReceivedEvent> onKey = accepted(id).stream().filter(e -> key.equals(e.routingKey())).toList();
            assertThat(onKey).extracting(ReceivedEvent::eventAction).containsExactly("trigger", "acknowledge", ReceivedEvent.CHANGE, "resolve");
            assertThat(onKey.get(1).outcome()).isEqualTo(ReceivedEvent.ACKNOWLEDGED);
            JsonNode changeEvent = onKey.get(2).body();
            assertThat(changeEvent.path("payload").path("summary").asText()).isEqualTo("runbook restart-pods restarted 3 pods of checkout-api");
            assertThat(changeEvent.path("payload").path("source").asText()).isEqualTo("restart-pods");
            assertThat(changeEvent.path("payload").path("custom_details").path("pods").asInt()).isEqualTo(3);
            assertThat(changeEvent.path("links").get(0).path("href").asText()).isEqualTo("https://runbooks.example.com/restart-pods");
        }
        // no acknowledge or change went to a key the trigger did not reach
        assertThat(accepted(id)).extracting(ReceivedEvent::routingKey)
                .containsOnly(AnomalyToPagerDutyIT.CHECKOUT, AnomalyToPagerDutyIT.PAYMENTS);
        // the incident's context shows the change
        Incident incident = sandbox.incidentsByKey("infrasage-" + id).stream()
                .filter(i -> i.routingKey().equals(AnomalyToPagerDutyIT.CHECKOUT)).findFirst().orElseThrow();
        assertThat(sandbox.relatedChanges(incident.id())).extracting(c -> c.path("payload").path("summary").asText())
                .contains("runbook restart-pods restarted 3 pods of checkout-api");

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(clickHouse.query(
                "SELECT action, actor_name FROM " + db + ".audit_log FINAL WHERE anomaly_id = '" + id + "' AND action IN "
                        + "('acknowledge_requested', 'change_requested', 'acknowledge_delivered', 'change_delivered') ORDER BY action, actor_name FORMAT TSV"))
                .isEqualTo("acknowledge_delivered\tInfraSage\nacknowledge_delivered\tInfraSage\nacknowledge_requested\trestart-pods\n"
                        + "change_delivered\tInfraSage\nchange_delivered\tInfraSage\nchange_requested\trestart-pods"));
    }

    @Test
    void acknowledgeAnswersNotFoundForAnUnknownAnomalyAndAlreadyResolvedAfterTheResolve() throws Exception {
        var unknown = bundle.postJson("/api/v1/anomalies/never-posted/acknowledge", "");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).get("error").asText()).isEqualTo("unknown anomaly");

        String id = AnomalyToPagerDutyIT.unique("anom-ack-late");
        bundle.postJson("/api/v1/anomalies", AnomalyToPagerDutyIT.anomaly(id, "payment-api", 0.9));
        bundle.postJson("/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"scale-up\"}");
        var late = bundle.postJson("/api/v1/anomalies/" + id + "/acknowledge", "{\"runbook\":\"scale-up\"}");
        assertThat(late.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(late.body()).get("status").asText()).isEqualTo("already_resolved");
        await().atMost(Duration.ofSeconds(15)).until(() -> accepted(id).size() == 2);
        assertThat(accepted(id)).extracting(ReceivedEvent::eventAction).containsExactly("trigger", "resolve");
    }

    @Test
    void aChangeWithoutSummaryOrWithABadLinkIsRefusedNamingTheProblem() throws Exception {
        String id = AnomalyToPagerDutyIT.unique("anom-change-bad");
        bundle.postJson("/api/v1/anomalies", AnomalyToPagerDutyIT.anomaly(id, "payment-api", 0.9));
        var answer = bundle.postJson("/api/v1/anomalies/" + id + "/changes", "{\"details\":[],\"links\":[{\"text\":\"no href\"}]}");
        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.body()).contains("$.summary: is required", "$.details: must be a JSON object", "$.links[0].href");
        assertThat(bundle.postJson("/api/v1/anomalies/never-posted/changes", "{\"summary\":\"x\"}").statusCode()).isEqualTo(404);
    }

    @Test
    void aChangeEventSkipsRulesetKeysAndSaysSo() throws Exception {
        String id = AnomalyToPagerDutyIT.unique("anom-orchestrated");
        bundle.postJson("/api/v1/anomalies", AnomalyToPagerDutyIT.anomaly(id, "orchestrated-api", 0.9));
        var answer = bundle.postJson("/api/v1/anomalies/" + id + "/changes", "{\"summary\":\"scaled orchestrated-api to 4\"}");
        assertThat(answer.statusCode()).isEqualTo(202);
        JsonNode body = JSON.readTree(answer.body());
        assertThat(body.get("skipped").asText()).contains("ruleset");
        assertThat(body.get("teams")).extracting(t -> t.get("team").asText()).containsExactly("platform");
        await().atMost(Duration.ofSeconds(15)).until(() -> accepted(id).stream().anyMatch(e -> ReceivedEvent.CHANGE.equals(e.eventAction())));
        assertThat(accepted(id).stream().filter(e -> ReceivedEvent.CHANGE.equals(e.eventAction())))
                .extracting(ReceivedEvent::routingKey).containsExactly(AnomalyToPagerDutyIT.PLATFORM);
        assertThat(sandbox.events()).noneMatch(e -> RULESET.equals(e.routingKey()) && ReceivedEvent.CHANGE.equals(e.eventAction()));
    }
}
