package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.sandbox.Incident;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.WebhookAttempt;
import io.infrasage.pagerduty.testing.ClickHouseServer;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seed "Bidirectional Webhook": signed webhooks sent by the sandbox (as PagerDuty sends them) become ClickHouse state,
 * audit entries and incident memory, exactly once, and forged ones are refused.
 */
class PagerDutyWebhookIT {

    static final String KEY = "W".repeat(28) + "hook";
    private static final ObjectMapper JSON = new ObjectMapper();

    final ClickHouseServer clickHouse = sharedClickHouse();
    PagerDutySandbox sandbox;
    RunningBundle bundle;
    String db;

    /** The server most tests share; ModernPagerDutyWebhookIT runs every test again on the production driver path. */
    ClickHouseServer sharedClickHouse() {
        return LocalClickHouse.shared();
    }

    /** A server of the test's own, to stop under the bundle. */
    ClickHouseServer privateClickHouse() {
        return LocalClickHouse.privateServer(18143, 19020);
    }

    void start(ClickHouseServer ch, List<String> bundleSecrets, List<String> sandboxSecrets) {
        start(ch, bundleSecrets, sandboxSecrets, LocalClickHouse.projectRoot().resolve("routes"));
    }

    void start(ClickHouseServer ch, List<String> bundleSecrets, List<String> sandboxSecrets, Path routes) {
        int port = FreePorts.next();
        sandbox = PagerDutySandbox.builder().port(0).webhookRetryBackoff(Duration.ofMillis(100))
                .webhook("http://127.0.0.1:" + port + "/api/v1/pagerduty/webhook", sandboxSecrets).start();
        db = LocalClickHouse.uniqueDatabase("it_hook");
        Map<String, String> s = RunningBundle.baseSettings(ch.jdbcUrl(db), sandbox);
        s.put("camel.server.port", Integer.toString(port));
        s.put("pagerduty.service-key", KEY);
        s.put("pagerduty.webhook-secrets", String.join(",", bundleSecrets));
        bundle = RunningBundle.start(s, routes);
    }

    void start() {
        start(clickHouse, List.of(RunningBundle.SECRET), List.of(RunningBundle.SECRET));
    }

    @AfterEach
    void stop() {
        if (bundle != null) {
            bundle.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }

    String page(String prefix) {
        String id = prefix + "-" + System.nanoTime();
        var answer = bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + id + "\",\"service\":\"payment-api\",\"score\":0.9,"
                + "\"root_cause\":\"DB connection pool exhausted\"}");
        assertThat(answer.statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.incidentByKey("infrasage-" + id).isPresent());
        return id;
    }

    Incident incidentOf(String anomalyId) {
        return sandbox.incidentByKey("infrasage-" + anomalyId).orElseThrow();
    }

    String state(String anomalyId, String column) {
        return clickHouse.query("SELECT argMaxIf(" + column + ", version, " + column + " != '') FROM " + db
                + ".anomaly_state WHERE anomaly_id = '" + anomalyId + "'");
    }

    String audit(String anomalyId) {
        return clickHouse.query("SELECT action, actor_kind, actor_name FROM " + db + ".audit_log FINAL WHERE anomaly_id = '"
                + anomalyId + "' AND source = 'webhook' ORDER BY at, entry_id FORMAT TSV");
    }

    void awaitState(String anomalyId, String column, String expected) {
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(state(anomalyId, column)).isEqualTo(expected));
    }

    @Test
    void aPageResolvedWithANoteWhileItsRowsAreStillSpooledGivesItsServiceAndRootCauseToMemory(@TempDir Path dir) throws IOException {
        Path routes = Files.createDirectories(dir.resolve("routes"));
        try (var files = Files.list(LocalClickHouse.projectRoot().resolve("routes"))) {
            for (Path f : files.toList()) {
                Files.copy(f, routes.resolve(f.getFileName()));
            }
        }
        Path spool = routes.resolve("clickhouse-spool.camel.yaml");
        String yaml = Files.readString(spool);
        assertThat(yaml).contains("period: 1000");
        // the page's state rows stay in the local spool for ten minutes, unless the webhook's own flush moves them
        Files.writeString(spool, yaml.replace("period: 1000", "period: 600000"));
        start(clickHouse, List.of(RunningBundle.SECRET), List.of(RunningBundle.SECRET), routes);
        String id = page("spooled");
        Incident incident = incidentOf(id);

        sandbox.annotate(incident.id(), "Bob Example", "Restarted the pool");
        sandbox.resolve(incident.id(), "Bob Example");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(clickHouse.query(
                "SELECT service, root_cause, notes FROM " + db + ".incident_memory FINAL WHERE anomaly_id = '" + id + "' FORMAT TSV"))
                .isEqualTo("payment-api\tDB connection pool exhausted\tBob Example: Restarted the pool"));
    }

    @Test
    void wholeLoopAcknowledgedByAnEngineerThenResolvedWithANoteBecomesIncidentMemory() {
        start();
        String id = page("loop");
        Incident incident = incidentOf(id);
        awaitState(id, "incident_id", incident.id());
        assertThat(clickHouse.query("SELECT argMaxIf(incident_number, version, incident_number != 0) FROM " + db
                + ".anomaly_state WHERE anomaly_id = '" + id + "'")).isEqualTo(Integer.toString(incident.number()));

        sandbox.acknowledge(incident.id(), "Alice Example");
        awaitState(id, "status", "acknowledged");
        assertThat(state(id, "acknowledged_by")).isEqualTo("Alice Example");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(audit(id)).contains("acknowledged\tengineer\tAlice Example"));

        sandbox.annotate(incident.id(), "Alice Example", "Raised the DB pool from 20 to 50; root cause confirmed");
        sandbox.resolve(incident.id(), "Alice Example");
        awaitState(id, "status", "resolved");
        assertThat(state(id, "resolved_by")).isEqualTo("Alice Example");
        assertThat(state(id, "resolved_by_kind")).isEqualTo("engineer");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(clickHouse.query(
                "SELECT service, root_cause, notes, resolved_by FROM " + db + ".incident_memory FINAL WHERE anomaly_id = '" + id
                        + "' FORMAT TSV")).isEqualTo("payment-api\tDB connection pool exhausted\tAlice Example: Raised the DB pool "
                        + "from 20 to 50; root cause confirmed\tAlice Example"));
    }

    @Test
    void aNoteArrivingAfterTheResolveUpdatesIncidentMemoryAndATrimmedNoteIsFetchedInFull() {
        start();
        String id = page("late-note");
        Incident incident = incidentOf(id);
        sandbox.resolve(incident.id(), "Bob Example");
        awaitState(id, "status", "resolved");
        assertThat(clickHouse.count("SELECT count() FROM " + db + ".incident_memory WHERE anomaly_id = '" + id + "'")).isZero();

        String longNote = "Post-mortem: " + "the pool was too small. ".repeat(100);
        sandbox.annotate(incident.id(), "Bob Example", longNote);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(clickHouse.query(
                "SELECT notes FROM " + db + ".incident_memory FINAL WHERE anomaly_id = '" + id + "'")).isEqualTo("Bob Example: " + longNote.strip()));
        assertThat(clickHouse.query("SELECT trimmed, length(content) FROM " + db + ".incident_notes FINAL WHERE incident_id = '"
                + incident.id() + "' FORMAT TSV")).isEqualTo("0\t" + longNote.length());
    }

    @Test
    void theBundlesOwnRunbookResolveComesBackRecognisedAsTheRunbookWithoutALoop() {
        start();
        String id = page("runbook");
        // delivered: 'sent', or already 'triggered' by PagerDuty's webhook, which ranks after our own record
        await().atMost(Duration.ofSeconds(15)).until(() -> List.of("sent", "triggered").contains(state(id, "status")));
        bundle.postJson("/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"restart-pods\",\"actor\":\"runbook-bot\"}");
        await().atMost(Duration.ofSeconds(15)).until(() -> audit(id).contains("resolved"));
        assertThat(audit(id)).contains("resolved\trunbook\trestart-pods");
        assertThat(state(id, "resolved_by_kind")).isEqualTo("runbook");
        // no loop: exactly one trigger and one resolve ever reached PagerDuty for this anomaly
        assertThat(sandbox.events()).filteredOn(e -> e.dedupKey().equals("infrasage-" + id)).extracting(e -> e.eventAction())
                .containsExactly("trigger", "resolve");
    }

    @Test
    void everyAssignmentTypeAndStatusChangeIsRecordedAndUnknownTypesAreAuditedWith2xx() {
        start();
        String id = page("types");
        Incident incident = incidentOf(id);
        sandbox.acknowledge(incident.id(), "Alice Example");
        sandbox.unacknowledge(incident.id());
        sandbox.reassign(incident.id(), "Alice Example", "Carol Example");
        sandbox.escalate(incident.id(), "Alice Example");
        sandbox.delegate(incident.id(), "Alice Example", "Database team");
        sandbox.emit(incident.id(), "incident.assigned", "Dave Example");
        sandbox.emit(incident.id(), "incident.custom_field_values.updated", "Dave Example");
        sandbox.emit(incident.id(), "incident.something_pagerduty_adds_in_2027", null);
        assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(15))).isTrue();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(audit(id)).contains(
                "triggered", "acknowledged\tengineer\tAlice Example", "unacknowledged", "reassigned\tengineer\tAlice Example",
                "escalated", "delegated", "assigned\tengineer\tDave Example", "incident.custom_field_values.updated",
                "incident.something_pagerduty_adds_in_2027\tpagerduty"));
        assertThat(state(id, "status")).isEqualTo("triggered");
        assertThat(state(id, "assignees")).isNotBlank();
        assertThat(sandbox.webhookAttempts()).extracting(WebhookAttempt::status).allMatch(s -> s == 200);
    }

    @Test
    void whenPagerDutyMergesIncidentsResolvingTheMergedOneResolvesEveryAnomalyInIt() {
        start();
        String first = page("merge-a");
        String second = page("merge-b");
        Incident target = incidentOf(first);
        Incident source = incidentOf(second);
        awaitState(first, "incident_id", target.id());
        sandbox.mergeInto(target.id(), source.id());
        awaitState(second, "status", "resolved");
        assertThat(state(second, "resolved_by_kind")).isEqualTo("merged");
        // the audit row goes in with the next INSERT of the same batch: the state row can be seen a moment before it
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(audit(second)).contains("merged"));

        sandbox.resolve(target.id(), "Alice Example");
        awaitState(first, "status", "resolved");
        // the merged anomaly is found through the incident's alerts (REST API) and resolved by the engineer too
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(audit(second)).contains("resolved\tengineer\tAlice Example"));
        assertThat(state(first, "resolved_by")).isEqualTo("Alice Example");
    }

    @Test
    void aResolveByAnotherIntegrationIsNeverCreditedToARunbookEvenAfterAMerge() throws Exception {
        start();
        String first = page("auto-a");
        String second = page("auto-b");
        Incident target = incidentOf(first);
        awaitState(first, "incident_id", target.id());
        sandbox.mergeInto(target.id(), incidentOf(second).id());
        awaitState(second, "resolved_by_kind", "merged");

        // not a person and not the bundle: another integration resolves both alerts, which resolves the target incident
        for (String id : List.of(first, second)) {
            var r = RunningBundle.send(HttpRequest.newBuilder(URI.create(sandbox.eventsUrl())).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"routing_key\":\"" + KEY + "\",\"event_action\":\"resolve\","
                            + "\"dedup_key\":\"infrasage-" + id + "\"}")).build());
            assertThat(r.statusCode()).isEqualTo(202);
        }
        awaitState(first, "status", "resolved");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(audit(second)).contains("resolved\tpagerduty"));
        assertThat(audit(first) + audit(second)).doesNotContain("runbook");
        assertThat(state(first, "resolved_by_kind")).isEqualTo("pagerduty");
        assertThat(state(second, "resolved_by_kind")).isEqualTo("pagerduty");
    }

    @Test
    void anIncidentThatIsNotInfraSagesIsAuditedAndOtherwiseLeftAlone() throws Exception {
        start();
        String foreignKey = "nagios-disk-full-" + System.nanoTime();
        var r = RunningBundle.send(HttpRequest.newBuilder(URI.create(sandbox.eventsUrl())).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"routing_key\":\"" + KEY + "\",\"event_action\":\"trigger\",\"dedup_key\":\""
                        + foreignKey + "\",\"payload\":{\"summary\":\"disk full\",\"source\":\"nagios\",\"severity\":\"error\"}}")).build());
        assertThat(r.statusCode()).isEqualTo(202);
        Incident foreign = sandbox.incidentByKey(foreignKey).orElseThrow();
        sandbox.acknowledge(foreign.id(), "Alice Example");
        assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(clickHouse.count("SELECT count() FROM " + db + ".audit_log WHERE incident_id = '" + foreign.id() + "'")).isEqualTo(2);
        assertThat(clickHouse.count("SELECT count() FROM " + db + ".anomaly_state WHERE incident_id = '" + foreign.id() + "'")).isZero();
    }

    @Test
    void forgedUnsignedRetiredSecretOrAlteredWebhooksAreRefusedAndRotationAcceptsBothSecrets() throws Exception {
        start(clickHouse, List.of("old-secret", "new-secret"), List.of("new-secret"));
        String body = "{\"event\":{\"id\":\"01FORGED" + System.nanoTime() + "\",\"event_type\":\"incident.acknowledged\","
                + "\"resource_type\":\"incident\",\"occurred_at\":\"2026-11-26T10:00:00.000Z\",\"agent\":null,\"client\":null,"
                + "\"data\":{\"id\":\"QFORGED\",\"type\":\"incident\",\"incident_key\":\"infrasage-victim\",\"status\":\"acknowledged\"}}}";
        Map<String, String> forged = Map.of("X-PagerDuty-Signature", "v1=" + "0".repeat(64));
        Map<String, String> retired = Map.of("X-PagerDuty-Signature", PagerDutySandbox.webhookSignature(body, List.of("retired-secret")));
        assertThat(sandbox.sendRawWebhook(body, forged)).isEqualTo(401);
        assertThat(sandbox.sendRawWebhook(body, Map.of())).isEqualTo(401);
        assertThat(sandbox.sendRawWebhook(body, retired)).isEqualTo(401);
        String signedThenAltered = PagerDutySandbox.webhookSignature(body, List.of("new-secret"));
        assertThat(sandbox.sendRawWebhook(body.replace("acknowledged\"}}}", "resolved\"}}}"),
                Map.of("X-PagerDuty-Signature", signedThenAltered))).isEqualTo(401);
        assertThat(clickHouse.count("SELECT count() FROM " + db + ".webhook_deliveries")).isZero();

        String oldSigned = body.replace("01FORGED", "01OLD");
        String newSigned = body.replace("01FORGED", "01NEW");
        assertThat(sandbox.sendRawWebhook(oldSigned, Map.of("X-PagerDuty-Signature",
                PagerDutySandbox.webhookSignature(oldSigned, List.of("old-secret"))))).isEqualTo(200);
        assertThat(sandbox.sendRawWebhook(newSigned, Map.of("X-PagerDuty-Signature",
                PagerDutySandbox.webhookSignature(newSigned, List.of("new-secret"))))).isEqualTo(200);
        assertThat(clickHouse.count("SELECT count() FROM " + db + ".webhook_deliveries")).isEqualTo(2);
        var answer = bundle.postJson("/api/v1/pagerduty/webhook", body);
        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(answer.body()).get("problems").get(0).asText()).isEqualTo("missing X-PagerDuty-Signature header");
    }

    @Test
    void theSameDeliverySentFiveTimesMakesOneStateChangeAndOneAuditEntry() {
        start();
        String id = page("five");
        Incident incident = incidentOf(id);
        sandbox.acknowledge(incident.id(), "Alice Example");
        assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(10))).isTrue();
        String ackEvent = sandbox.webhookAttempts().stream().filter(a -> a.eventType().equals("incident.acknowledged"))
                .findFirst().orElseThrow().eventId();
        sandbox.redeliver(ackEvent, 4);
        assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(sandbox.webhookAttempts()).filteredOn(a -> a.eventId().equals(ackEvent)).hasSize(5)
                .allMatch(a -> a.status() == 200);
        assertThat(clickHouse.count("SELECT count() FROM " + db + ".anomaly_state WHERE change_id = '" + ackEvent + "'")).isEqualTo(1);
        assertThat(clickHouse.count("SELECT count() FROM " + db + ".audit_log WHERE entry_id LIKE '" + ackEvent + "%'")).isEqualTo(1);
        assertThat(clickHouse.count("SELECT count() FROM " + db + ".webhook_deliveries WHERE event_id = '" + ackEvent + "'")).isEqualTo(1);
    }

    @Test
    void withClickHouseStoppedWebhooksGet503AndTheRedeliveryIsPersistedOnceWhenItReturns() {
        ClickHouseServer own = privateClickHouse();
        own.start();
        try {
            start(own, List.of(RunningBundle.SECRET), List.of(RunningBundle.SECRET));
            String id = page("ch-down");
            Incident incident = incidentOf(id);
            assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(10))).isTrue();
            own.stop();
            sandbox.acknowledge(incident.id(), "Alice Example");
            await().atMost(Duration.ofSeconds(20)).until(() -> sandbox.webhookAttempts().stream()
                    .anyMatch(a -> a.eventType().equals("incident.acknowledged") && a.status() == 503));
            own.start();
            assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(40))).isTrue();
            List<WebhookAttempt> acks = sandbox.webhookAttempts().stream().filter(a -> a.eventType().equals("incident.acknowledged")).toList();
            assertThat(acks.get(acks.size() - 1).status()).isEqualTo(200);
            String ackEvent = acks.get(0).eventId();
            assertThat(own.count("SELECT count() FROM " + db + ".anomaly_state WHERE change_id = '" + ackEvent + "'")).isEqualTo(1);
            assertThat(own.count("SELECT count() FROM " + db + ".audit_log WHERE entry_id LIKE '" + ackEvent + "%'")).isEqualTo(1);
        } finally {
            own.stop();
        }
    }

    @Test
    void unparseableAndOversizeWebhooksGetA4xxJsonErrorNeverAStackTrace() {
        start(clickHouse, List.of("s"), List.of("s"));
        String notJson = "{this is not json";
        var r = RunningBundle.send(HttpRequest.newBuilder(bundle.url("/api/v1/pagerduty/webhook")).header("Content-Type", "application/json")
                .header("X-PagerDuty-Signature", PagerDutySandbox.webhookSignature(notJson, List.of("s")))
                .POST(HttpRequest.BodyPublishers.ofString(notJson)).build());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("invalid webhook").doesNotContain("Exception");
        String noEnvelope = "{\"hello\":1}";
        assertThat(sandbox.sendRawWebhook(noEnvelope, Map.of("X-PagerDuty-Signature",
                PagerDutySandbox.webhookSignature(noEnvelope, List.of("s"))))).isEqualTo(400);
        String big = "{\"event\":{\"pad\":\"" + "x".repeat(300_000) + "\"}}";
        var tooBig = RunningBundle.send(HttpRequest.newBuilder(bundle.url("/api/v1/pagerduty/webhook")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(big)).build());
        assertThat(tooBig.statusCode()).isEqualTo(413);
        assertThat(tooBig.body()).contains("webhook too large");
    }

    @Test
    void anInfraSageLookingIncidentKeyTheBundleNeverPagedIsAuditedButCreatesNoState() throws Exception {
        start();
        String neverPaged = "never-paged-" + System.nanoTime();
        var r = RunningBundle.send(HttpRequest.newBuilder(URI.create(sandbox.eventsUrl())).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"routing_key\":\"" + KEY + "\",\"event_action\":\"trigger\",\"dedup_key\":\""
                        + "infrasage-" + neverPaged + "\",\"payload\":{\"summary\":\"look-alike\",\"source\":\"x\",\"severity\":\"error\"}}"))
                .build());
        assertThat(r.statusCode()).isEqualTo(202);
        Incident lookAlike = sandbox.incidentByKey("infrasage-" + neverPaged).orElseThrow();
        sandbox.acknowledge(lookAlike.id(), "Mallory Example");

        assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(sandbox.webhookAttempts()).allMatch(a -> a.status() == 200);
        assertThat(clickHouse.count("SELECT count() FROM " + db + ".audit_log WHERE incident_id = '" + lookAlike.id()
                + "' AND detail = 'incident key names no anomaly this bundle paged'")).isEqualTo(2);
        assertThat(clickHouse.count("SELECT count() FROM " + db + ".anomaly_state WHERE anomaly_id = '" + neverPaged
                + "' OR incident_id = '" + lookAlike.id() + "'")).isZero();
    }

    @Test
    void signedWebhookFieldsAreBoundedOverlongIdsAndTypesRefusedLongNamesCut() throws Exception {
        start(clickHouse, List.of("s"), List.of("s"));
        String hugeType = "incident." + "x".repeat(100_000);
        String refused = envelope("evt-" + System.nanoTime(), hugeType, "Alice Example", "PINC1");
        var answer = RunningBundle.send(HttpRequest.newBuilder(bundle.url("/api/v1/pagerduty/webhook")).header("Content-Type", "application/json")
                .header("X-PagerDuty-Signature", PagerDutySandbox.webhookSignature(refused, List.of("s")))
                .POST(HttpRequest.BodyPublishers.ofString(refused)).build());
        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.body()).contains("invalid webhook").contains("event.event_type").doesNotContain("xxxxxxxxxx");
        String longId = envelope("e".repeat(5_000), "incident.acknowledged", "Alice Example", "PINC1");
        assertThat(sandbox.sendRawWebhook(longId, Map.of("X-PagerDuty-Signature", PagerDutySandbox.webhookSignature(longId, List.of("s")))))
                .isEqualTo(400);

        String eventId = "evt-name-" + System.nanoTime();
        String longName = envelope(eventId, "incident.acknowledged", "N".repeat(100_000), "PINC2");
        assertThat(sandbox.sendRawWebhook(longName, Map.of("X-PagerDuty-Signature", PagerDutySandbox.webhookSignature(longName, List.of("s")))))
                .isEqualTo(200);
        assertThat(clickHouse.count("SELECT max(lengthUTF8(actor_name)) FROM " + db + ".audit_log WHERE incident_id = 'PINC2'"))
                .isBetween(1L, 256L);
        assertThat(clickHouse.count("SELECT count() FROM " + db + ".audit_log WHERE length(action) > 100")).isZero();
    }

    private static String envelope(String eventId, String type, String agentName, String incidentId) {
        return "{\"event\":{\"id\":\"" + eventId + "\",\"event_type\":\"" + type + "\",\"resource_type\":\"incident\","
                + "\"occurred_at\":\"2026-12-01T04:00:00Z\",\"agent\":{\"id\":\"PUSER1\",\"summary\":\"" + agentName
                + "\",\"type\":\"user_reference\"},\"data\":{\"id\":\"" + incidentId + "\",\"type\":\"incident\","
                + "\"incident_key\":\"nagios-" + incidentId + "\"}}}";
    }
}
