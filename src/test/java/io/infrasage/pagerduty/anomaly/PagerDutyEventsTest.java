package io.infrasage.pagerduty.anomaly;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collections;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.infrasage.pagerduty.memory.PastResolution;
import org.junit.jupiter.api.Test;

class PagerDutyEventsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "0123456789abcdef0123456789abcdef";
    private static final String URL = "https://infrasage.mycompany.com/incidents/anom-7f3d";
    private static final int LIMIT = 512 * 1024;

    /** The seed's example anomaly. */
    private static Anomaly seed() {
        return anomaly("CPU saturation from DB connection pool exhaustion", List.of("user-service", "checkout-service"),
                List.of("Scale to 5 pods", "Restart pods"), null);
    }

    private static Anomaly anomaly(String rootCause, List<String> blastRadius, List<String> actions, String summary) {
        return new Anomaly("anom-7f3d", "payment-api", "CPU", 87.0, "%", 0.93, rootCause, blastRadius, actions, 0.92,
                "production", null, URL, summary);
    }

    private static Anomaly minimal(String metric, Double value, String unit, double score) {
        return new Anomaly("a-1", "payment-api", metric, value, unit, score, null, List.of(), List.of(), null, null, null,
                null, null);
    }

    private static int utf8Size(JsonNode event) {
        return event.toString().getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void seedAnomalyBecomesTheSeedsTriggerEvent() throws Exception {
        ObjectNode event = PagerDutyEvents.trigger(seed(), "critical", KEY);

        JsonNode expectedPayload = JSON.readTree("""
                {"summary": "CPU anomaly on payment-api: 87% CPU (score: 0.93)",
                 "severity": "critical",
                 "source": "infrasage",
                 "component": "payment-api",
                 "group": "production",
                 "custom_details": {
                   "anomaly_id": "anom-7f3d",
                   "root_cause": "CPU saturation from DB connection pool exhaustion",
                   "blast_radius": ["user-service", "checkout-service"],
                   "suggested_actions": ["Scale to 5 pods", "Restart pods"],
                   "rca_confidence": 0.92,
                   "infrasage_url": "https://infrasage.mycompany.com/incidents/anom-7f3d"}}
                """);
        assertThat(event.get("payload")).isEqualTo(expectedPayload);
        assertThat(event.path("routing_key").asText()).isEqualTo(KEY);
        assertThat(event.path("event_action").asText()).isEqualTo("trigger");
        assertThat(event.path("dedup_key").asText()).isEqualTo("infrasage-anom-7f3d");
    }

    @Test
    void clientClientUrlAndLinksSitAtTheTopLevelNotInPayload() {
        ObjectNode event = PagerDutyEvents.trigger(seed(), "critical", KEY);

        assertThat(event.path("client").asText()).isEqualTo("InfraSage");
        assertThat(event.path("client_url").asText()).isEqualTo(URL);
        assertThat(event.path("links")).hasSize(1);
        assertThat(event.path("links").get(0).path("href").asText()).isEqualTo(URL);
        assertThat(event.path("links").get(0).path("text").asText()).contains("anom-7f3d");
        assertThat(event.get("payload").has("client")).isFalse();
        assertThat(event.get("payload").has("client_url")).isFalse();
        assertThat(event.get("payload").has("links")).isFalse();
        assertThat(event.properties()).extracting(e -> e.getKey()).containsExactlyInAnyOrder(
                "routing_key", "event_action", "dedup_key", "payload", "client", "client_url", "links");
    }

    @Test
    void severityAndRoutingKeyAreTheOnesPassedIn() {
        String otherKey = "ffffffffffffffffffffffffffffffff";
        ObjectNode event = PagerDutyEvents.trigger(seed(), "warning", otherKey);

        assertThat(event.path("payload").path("severity").asText()).isEqualTo("warning");
        assertThat(event.path("routing_key").asText()).isEqualTo(otherKey);
    }

    @Test
    void optionalFieldsAreLeftOutWhenTheAnomalyHasNone() {
        ObjectNode event = PagerDutyEvents.trigger(minimal("CPU", 87.0, "%", 0.5), "warning", KEY);

        JsonNode payload = event.get("payload");
        assertThat(payload.has("group")).isFalse();
        assertThat(payload.has("timestamp")).isFalse();
        assertThat(payload.path("custom_details").properties()).extracting(e -> e.getKey()).containsExactly("anomaly_id");
        assertThat(event.has("client_url")).isFalse();
        assertThat(event.has("links")).isFalse();
        assertThat(event.path("client").asText()).isEqualTo("InfraSage");
    }

    @Test
    void detectedAtBecomesThePayloadTimestamp() {
        Anomaly a = new Anomaly("a-1", "svc", null, null, null, 0.5, null, List.of(), List.of(), null, null,
                Instant.parse("2025-01-15T10:30:00Z"), null, null);

        assertThat(PagerDutyEvents.trigger(a, "warning", KEY).path("payload").path("timestamp").asText())
                .isEqualTo("2025-01-15T10:30:00Z");
    }

    @Test
    void summaryWithoutAValueNamesMetricServiceAndScore() {
        assertThat(PagerDutyEvents.summary(minimal("Latency", null, "ms", 0.8)))
                .isEqualTo("Latency anomaly on payment-api (score: 0.8)");
    }

    @Test
    void summaryWithoutAMetricNamesServiceAndScore() {
        assertThat(PagerDutyEvents.summary(minimal(null, 87.0, "%", 0.61))).isEqualTo("Anomaly on payment-api (score: 0.61)");
    }

    @Test
    void summaryKeepsFractionalValuesAndWorksWithoutAUnit() {
        assertThat(PagerDutyEvents.summary(minimal("Errors", 12.5, null, 0.7)))
                .isEqualTo("Errors anomaly on payment-api: 12.5 Errors (score: 0.7)");
    }

    @Test
    void givenSummaryIsUsedAsIs() {
        assertThat(PagerDutyEvents.summary(anomaly(null, List.of(), List.of(), "Checkout is down")))
                .isEqualTo("Checkout is down");
    }

    @Test
    void summaryOf5000CharactersIsCutTo1024() {
        String longSummary = "x".repeat(5000);

        String summary = PagerDutyEvents.trigger(anomaly(null, List.of(), List.of(), longSummary), "error", KEY)
                .path("payload").path("summary").asText();

        assertThat(summary).hasSize(1024).startsWith("x".repeat(1023)).endsWith("…");
    }

    @Test
    void summaryIsNotCutInsideASurrogatePair() {
        String longSummary = "a".repeat(1022) + "\uD83D\uDE00".repeat(10);

        String summary = PagerDutyEvents.trigger(anomaly(null, List.of(), List.of(), longSummary), "error", KEY)
                .path("payload").path("summary").asText();

        assertThat(summary).isEqualTo("a".repeat(1022) + "…");
    }

    @Test
    void eventWith600KbRootCauseIsShrunkUnderTheEventLimitKeepingIdLinkAndSummary() {
        Anomaly huge = anomaly("r".repeat(600 * 1024), List.of("user-service"), List.of("Restart pods"), null);

        ObjectNode event = PagerDutyEvents.trigger(huge, "critical", KEY);

        assertThat(utf8Size(event)).isLessThanOrEqualTo(LIMIT);
        JsonNode details = event.path("payload").path("custom_details");
        assertThat(details.path("anomaly_id").asText()).isEqualTo("anom-7f3d");
        assertThat(details.path("infrasage_url").asText()).isEqualTo(URL);
        assertThat(details.path("root_cause").asText().length()).isLessThanOrEqualTo(1024).isGreaterThan(0);
        assertThat(details.path("truncated").asText()).contains("512 KB");
        assertThat(event.path("event_action").asText()).isEqualTo("trigger");
        assertThat(event.path("dedup_key").asText()).isEqualTo("infrasage-anom-7f3d");
        assertThat(event.path("payload").path("summary").asText())
                .isEqualTo("CPU anomaly on payment-api: 87% CPU (score: 0.93)");
        assertThat(event.path("client_url").asText()).isEqualTo(URL);
    }

    @Test
    void eventUnderTheLimitIsNotMarkedTruncated() {
        ObjectNode event = PagerDutyEvents.trigger(seed(), "critical", KEY);

        assertThat(event.path("payload").path("custom_details").has("truncated")).isFalse();
    }

    @Test
    void eventStillTooLargeAfterCuttingTextsKeepsOnlyIdLinkAndNote() {
        // control characters are written as 6-byte \\u escapes: 2 x 50 items of 1024 of them stay above 512 KB
        String escaped = "\u0001".repeat(2000);
        List<String> items = Collections.nCopies(200, escaped);
        Anomaly pathological = anomaly("root", items, items, null);

        ObjectNode event = PagerDutyEvents.trigger(pathological, "critical", KEY);

        assertThat(utf8Size(event)).isLessThanOrEqualTo(LIMIT);
        assertThat(event.path("payload").path("custom_details").properties()).extracting(e -> e.getKey())
                .containsExactlyInAnyOrder("anomaly_id", "infrasage_url", "truncated", "cut");
        assertThat(event.path("payload").path("custom_details").path("cut")).extracting(JsonNode::asText).containsExactly(
                "custom_details: texts cut to 1024 characters and lists to 50 items to fit PagerDuty's 512 KB",
                "custom_details: only anomaly_id and infrasage_url kept to fit PagerDuty's 512 KB");
        assertThat(event.path("event_action").asText()).isEqualTo("trigger");
    }

    private static PastResolution past(String anomalyId, String note) {
        return new PastResolution(anomalyId, "Q" + anomalyId, "payment-api", "DB pool exhausted", "db pool exhausted", note,
                "Alice Example", Instant.parse("2026-11-26T03:12:09Z"), "https://acme.pagerduty.com/incidents/Q" + anomalyId, 1);
    }

    @Test
    void pastResolutionsAreCarriedInCustomDetailsWithIdWhenWhoRootCauseNoteAndLink() throws Exception {
        PagerDutyEvents.Trigger t = PagerDutyEvents.trigger(seed(), "critical", KEY,
                List.of(past("anom-1", "Alice Example: raised the DB pool to 50")));

        assertThat(t.pastResolutions()).isEqualTo(1);
        assertThat(t.cuts()).isEmpty();
        assertThat(t.event().at("/payload/custom_details/past_resolutions")).isEqualTo(JSON.readTree("""
                [{"anomaly_id": "anom-1", "resolved_at": "2026-11-26T03:12:09Z", "resolved_by": "Alice Example",
                  "root_cause": "DB pool exhausted", "note": "Alice Example: raised the DB pool to 50",
                  "incident_url": "https://acme.pagerduty.com/incidents/Qanom-1"}]"""));
        assertThat(t.event().at("/payload/custom_details").has("cut")).isFalse();
        assertThat(t.json()).isEqualTo(t.event().toString());
    }

    @Test
    void whenTheEventMustBeCutPastResolutionsGoBeforeTheAnomalysOwnFields() {
        // the anomaly's own fields take 500 KB: room for one past resolution of 6 KB, not for three
        Anomaly big = anomaly("r".repeat(500 * 1024), List.of("user-service"), List.of("Restart pods"), null);
        List<PastResolution> memory = List.of(past("anom-1", "1".repeat(6000)), past("anom-2", "2".repeat(6000)),
                past("anom-3", "3".repeat(6000)));

        PagerDutyEvents.Trigger t = PagerDutyEvents.trigger(big, "critical", KEY, memory);

        assertThat(utf8Size(t.event())).isLessThanOrEqualTo(LIMIT);
        JsonNode details = t.event().at("/payload/custom_details");
        assertThat(details.path("root_cause").asText()).hasSize(500 * 1024);
        assertThat(details.path("past_resolutions")).extracting(n -> n.path("anomaly_id").asText()).containsExactly("anom-1");
        assertThat(t.pastResolutions()).isEqualTo(1);
        assertThat(t.cuts()).containsExactly("past_resolutions: 2 of 3 left out to fit PagerDuty's 512 KB");
        assertThat(details.path("cut")).extracting(JsonNode::asText).containsExactlyElementsOf(t.cuts());
        assertThat(details.has("truncated")).isFalse();
        // the text queued for PagerDuty is the event as cut, the one measured
        assertThat(t.json()).isEqualTo(t.event().toString());
    }

    @Test
    void theAnomalysOwnCutsComeFirstInCustomDetails() {
        Anomaly cut = AnomalyFieldLimits.cut(new Anomaly("a-1", "payment-api", "m".repeat(2000), null, null, 0.9, null, List.of(),
                List.of(), null, null, null, null, null));

        PagerDutyEvents.Trigger t = PagerDutyEvents.trigger(cut, "critical", KEY, List.of());

        assertThat(t.cuts()).containsExactly("metric: 2,000 characters cut to 200");
        assertThat(t.event().at("/payload/custom_details/cut")).extracting(JsonNode::asText)
                .containsExactly("metric: 2,000 characters cut to 200");
        assertThat(t.event().at("/payload/summary").asText()).hasSizeLessThanOrEqualTo(1024).contains("…");
    }

    @Test
    void resolveHasExactlyRoutingKeyActionAndDedupKey() throws Exception {
        ObjectNode event = PagerDutyEvents.resolve("infrasage-anom-7f3d", KEY);

        assertThat(event).isEqualTo(JSON.readTree(
                "{\"routing_key\":\"" + KEY + "\",\"event_action\":\"resolve\",\"dedup_key\":\"infrasage-anom-7f3d\"}"));
    }
}
