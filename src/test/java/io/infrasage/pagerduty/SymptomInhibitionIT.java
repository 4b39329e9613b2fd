package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.sandbox.Incident;
import io.infrasage.pagerduty.sandbox.Note;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * INFRASAGE_INHIBIT_SYMPTOMS=true, local outbox, real ClickHouse and the sandbox (with webhooks back to the bundle):
 * the root cause pages; a symptom in its blast radius moments later does not, is recorded "inhibited" naming it, and
 * is noted on the root cause's incident; an unrelated service and an opted-out team still page; resolving the root
 * cause (by a runbook, or by an engineer in PagerDuty) pages the symptoms still open. Only safe holds: a symptom more
 * severe than its root cause pages, and a root cause never holds back its own service.
 */
class SymptomInhibitionIT {

    static final String PAYMENTS = "P".repeat(28) + "pay1";
    static final String CHECKOUT = "C".repeat(28) + "chk1";
    static final String INVENTORY = "I".repeat(28) + "inv1";
    static final String DEFAULT = "D".repeat(28) + "def1";
    static final String RULES = "[" + AnomalyToPagerDutyIT.rule("payment-*", PAYMENTS, "payments", false) + ","
            + AnomalyToPagerDutyIT.rule("checkout-*", CHECKOUT, "checkout", false) + ","
            + "{\"service_pattern\":\"inventory-*\",\"service_key\":\"" + INVENTORY + "\",\"team\":\"inventory\",\"inhibit\":false},"
            + AnomalyToPagerDutyIT.rule("*", DEFAULT, "default", false) + "]";
    private static final ObjectMapper JSON = new ObjectMapper();
    static PagerDutySandbox sandbox;
    static RunningBundle bundle;
    static String db;
    static final LocalClickHouse clickHouse = LocalClickHouse.shared();

    @BeforeAll
    static void start() {
        int port = FreePorts.next();
        sandbox = PagerDutySandbox.builder().webhook("http://127.0.0.1:" + port + "/api/v1/pagerduty/webhook",
                List.of(RunningBundle.SECRET)).start();
        db = LocalClickHouse.uniqueDatabase("it_inhibit");
        Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(db), sandbox);
        s.put("camel.server.port", Integer.toString(port));
        s.put("pagerduty.api-from", "infrasage-bot@example.com");
        s.put("pagerduty.routing-rules", RULES);
        s.put("infrasage.inhibit-symptoms", "true");
        s.put("infrasage.inhibit-note-interval", "100ms");
        bundle = RunningBundle.start(s);
    }

    @AfterAll
    static void stop() {
        bundle.close();
        sandbox.close();
    }

    static String anomaly(String id, String service, double score, String... blastRadius) {
        StringBuilder radius = new StringBuilder();
        for (String b : blastRadius) {
            radius.append(radius.length() == 0 ? "" : ",").append('"').append(b).append('"');
        }
        return "{\"anomaly_id\":\"" + id + "\",\"service\":\"" + service + "\",\"score\":" + score
                + ",\"metric\":\"latency\",\"blast_radius\":[" + radius + "]}";
    }

    static JsonNode post(String id, String service, double score, String... blastRadius) throws Exception {
        var answer = bundle.postJson("/api/v1/anomalies", anomaly(id, service, score, blastRadius));
        assertThat(answer.statusCode()).isEqualTo(202);
        return JSON.readTree(answer.body());
    }

    static List<ReceivedEvent> triggers(String id) {
        return sandbox.events().stream().filter(e -> e.status() == 202 && ("infrasage-" + id).equals(e.dedupKey())
                && "trigger".equals(e.eventAction())).toList();
    }

    static Incident awaitIncident(String id) {
        await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.incidentByKey("infrasage-" + id).isPresent());
        return sandbox.incidentByKey("infrasage-" + id).orElseThrow();
    }

    String state(String id) {
        return clickHouse.query("SELECT argMax(status, version), argMaxIf(detail, version, detail != '') FROM " + db
                + ".anomaly_state WHERE anomaly_id = '" + id + "' FORMAT TSV");
    }

    String audit(String id) {
        return clickHouse.query("SELECT action FROM " + db + ".audit_log FINAL WHERE anomaly_id = '" + id + "' ORDER BY at, action FORMAT TSV");
    }

    @Test
    void aSymptomOfAPagedRootCauseIsNotPagedIsRecordedAndNotedAndPagesOnceTheRootCauseIsResolved() throws Exception {
        String root = AnomalyToPagerDutyIT.unique("root");
        String symptom = AnomalyToPagerDutyIT.unique("symptom");
        String unrelated = AnomalyToPagerDutyIT.unique("unrelated");
        assertThat(post(root, "payment-api", 0.93, "checkout-api").get("status").asText()).isEqualTo("queued");
        Incident rootIncident = awaitIncident(root);

        // moments later (well within the 30 min window): checkout-api, named in the root cause's blast radius
        JsonNode answer = post(symptom, "checkout-api", 0.85);
        assertThat(answer.get("status").asText()).isEqualTo("inhibited");
        assertThat(answer.get("inhibited_by").asText()).isEqualTo(root);
        assertThat(answer.get("teams")).isEmpty();
        assertThat(answer.get("held_teams").get(0).get("team").asText()).isEqualTo("checkout");

        // an unrelated service still pages; by the time its page is in, the symptom's would have been too
        assertThat(post(unrelated, "search-api", 0.85).get("status").asText()).isEqualTo("queued");
        awaitIncident(unrelated);
        assertThat(triggers(symptom)).isEmpty();
        assertThat(sandbox.events()).noneMatch(e -> CHECKOUT.equals(e.routingKey()) && ("infrasage-" + symptom).equals(e.dedupKey()));

        // recorded in state and audit, naming the root cause; counted; noted on the root cause's incident
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(state(symptom))
                .startsWith("inhibited\tsymptom of root cause " + root + " (its blast radius names checkout-api)"));
        // the audit row goes in its own INSERT after the state rows: wait for it as well
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(audit(symptom)).contains("inhibited"));
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(sandbox.incident(rootIncident.id()).notes())
                .extracting(Note::content, Note::user)
                .contains(org.assertj.core.groups.Tuple.tuple("also affected: checkout-api (" + symptom + ", 0.85)", "infrasage-bot@example.com")));
        String metrics = RunningBundle.send(HttpRequest.newBuilder(bundle.managementUrl("/observe/metrics")).build()).body();
        assertThat(metrics).containsPattern("infrasage_anomalies_total\\{[^}]*outcome=\"inhibited\"[^}]*\\} [1-9]");

        // the runbook resolves the root cause while the symptom is still open: the symptom pages now
        assertThat(bundle.postJson("/api/v1/anomalies/" + root + "/resolve", "{\"runbook\":\"raise-pool\"}").statusCode()).isEqualTo(202);
        Incident symptomIncident = awaitIncident(symptom);
        assertThat(symptomIncident.routingKey()).isEqualTo(CHECKOUT);
        assertThat(triggers(symptom)).hasSize(1);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(audit(symptom)).contains("inhibition_released", "trigger_delivered"));
    }

    @Test
    void anEngineerResolvingTheRootCauseInPagerDutyPagesItsOpenSymptomsButNotResolvedOnes() throws Exception {
        String root = AnomalyToPagerDutyIT.unique("root-eng");
        String open = AnomalyToPagerDutyIT.unique("symptom-open");
        String fixed = AnomalyToPagerDutyIT.unique("symptom-fixed");
        post(root, "payment-db", 0.95, "checkout-web", "checkout-worker");
        Incident rootIncident = awaitIncident(root);
        assertThat(post(open, "checkout-web", 0.7).get("status").asText()).isEqualTo("inhibited");
        assertThat(post(fixed, "checkout-worker", 0.7).get("status").asText()).isEqualTo("inhibited");
        // one symptom goes away by itself before the root cause is fixed
        assertThat(bundle.postJson("/api/v1/anomalies/" + fixed + "/resolve", "{\"runbook\":\"noop\"}").statusCode()).isEqualTo(202);

        sandbox.resolve(rootIncident.id(), "Alice Example");
        awaitIncident(open);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(audit(fixed)).contains("resolve_requested"));
        assertThat(triggers(fixed)).isEmpty();
        assertThat(sandbox.incidentByKey("infrasage-" + fixed)).isEmpty();
    }

    @Test
    void aTeamWhoseRuleSaysInhibitFalseIsPagedForASymptomAnyway() throws Exception {
        String root = AnomalyToPagerDutyIT.unique("root-inv");
        String symptom = AnomalyToPagerDutyIT.unique("symptom-inv");
        post(root, "payment-gateway", 0.9, "inventory-api");
        awaitIncident(root);
        JsonNode answer = post(symptom, "inventory-api", 0.8);
        assertThat(answer.get("status").asText()).isEqualTo("queued");
        assertThat(awaitIncident(symptom).routingKey()).isEqualTo(INVENTORY);
    }

    @Test
    void aRootCauseThatIsItselfResolvedHoldsNothingBack() throws Exception {
        String root = AnomalyToPagerDutyIT.unique("root-done");
        String later = AnomalyToPagerDutyIT.unique("later");
        post(root, "payment-cache", 0.9, "checkout-cart");
        awaitIncident(root);
        bundle.postJson("/api/v1/anomalies/" + root + "/resolve", "{\"runbook\":\"flush\"}");
        assertThat(post(later, "checkout-cart", 0.9).get("status").asText()).isEqualTo("queued");
        awaitIncident(later);
    }

    @Test
    void aCriticalSymptomBehindAWarningRootCauseIsPaged() throws Exception {
        String root = AnomalyToPagerDutyIT.unique("root-warning");
        String symptom = AnomalyToPagerDutyIT.unique("symptom-critical");
        assertThat(post(root, "payment-ledger", 0.45, "checkout-tax").get("severity").asText()).isEqualTo("warning");
        awaitIncident(root);

        JsonNode answer = post(symptom, "checkout-tax", 0.97);
        assertThat(answer.get("status").asText()).isEqualTo("queued");
        assertThat(answer.get("severity").asText()).isEqualTo("critical");
        assertThat(answer.has("inhibited_by")).isFalse();
        Incident incident = awaitIncident(symptom);
        assertThat(incident.routingKey()).isEqualTo(CHECKOUT);
        assertThat(triggers(symptom)).hasSize(1);
    }

    @Test
    void aWarningSymptomBehindACriticalRootCauseIsHeld() throws Exception {
        String root = AnomalyToPagerDutyIT.unique("root-critical");
        String symptom = AnomalyToPagerDutyIT.unique("symptom-warning");
        assertThat(post(root, "payment-vault", 0.95, "checkout-fees").get("severity").asText()).isEqualTo("critical");
        awaitIncident(root);

        JsonNode answer = post(symptom, "checkout-fees", 0.45);
        assertThat(answer.get("status").asText()).isEqualTo("inhibited");
        assertThat(answer.get("inhibited_by").asText()).isEqualTo(root);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(state(symptom))
                .startsWith("inhibited\tsymptom of root cause " + root + " (its blast radius names checkout-fees)"));
        assertThat(triggers(symptom)).isEmpty();
    }

    @Test
    void aRootCauseNeverHoldsBackItsOwnService() throws Exception {
        String root = AnomalyToPagerDutyIT.unique("root-own");
        String again = AnomalyToPagerDutyIT.unique("own-service");
        String symptom = AnomalyToPagerDutyIT.unique("symptom-own");
        post(root, "payment-router", 0.9, "payment-router", "checkout-router");
        awaitIncident(root);

        // a later anomaly of the root cause's own service, less severe, may have another cause: its team is paged
        JsonNode own = post(again, "payment-router", 0.7);
        assertThat(own.get("status").asText()).isEqualTo("queued");
        assertThat(awaitIncident(again).routingKey()).isEqualTo(PAYMENTS);
        // the other service of its blast radius is still held back
        assertThat(post(symptom, "checkout-router", 0.7).get("inhibited_by").asText()).isEqualTo(root);
    }
}
