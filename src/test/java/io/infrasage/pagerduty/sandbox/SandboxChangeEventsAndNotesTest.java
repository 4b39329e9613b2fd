package io.infrasage.pagerduty.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sandbox takes Change Events (POST /v2/change/enqueue) and notes written through REST (POST /incidents/{id}/notes)
 * as PagerDuty does: what it accepts, what it refuses and with which words, and where an accepted one shows.
 */
class SandboxChangeEventsAndNotesTest {

    private static final String KEY = "e93facc04764012d7bfb002500d5d1a6";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private PagerDutySandbox sb;

    @BeforeEach
    void start() {
        sb = PagerDutySandbox.builder().start();
    }

    @AfterEach
    void stop() {
        sb.close();
    }

    private HttpResponse<String> post(String url, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String change(String key, String summary, String links) {
        return "{\"routing_key\":\"" + key + "\",\"payload\":{\"summary\":" + (summary == null ? "null" : "\"" + summary + "\"")
                + ",\"source\":\"restart-pods\",\"timestamp\":\"2026-12-01T03:00:00Z\",\"custom_details\":{\"pods\":3}}"
                + (links == null ? "" : ",\"links\":" + links) + "}";
    }

    private String incident() throws Exception {
        post(sb.eventsUrl(), "{\"routing_key\":\"" + KEY + "\",\"event_action\":\"trigger\",\"dedup_key\":\"db\","
                + "\"payload\":{\"summary\":\"DB down\",\"source\":\"db01\",\"severity\":\"critical\"}}");
        return sb.incidentByKey("db").orElseThrow().id();
    }

    @Test
    void aValidChangeEventIsAcceptedAndShowsInTheContextOfTheServicesIncidents() throws Exception {
        String incident = incident();
        HttpResponse<String> answer = post(sb.changeEventsUrl(), change(KEY, "restarted 3 pods of payment-api",
                "[{\"href\":\"https://runbooks.example.com/1\",\"text\":\"run\"}]"));
        assertThat(answer.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(answer.body()).get("message").asText()).isEqualTo("Change event processed");
        assertThat(sb.relatedChanges(incident)).extracting(c -> c.at("/payload/summary").asText())
                .containsExactly("restarted 3 pods of payment-api");
        ReceivedEvent received = sb.events().get(sb.events().size() - 1);
        assertThat(received.eventAction()).isEqualTo(ReceivedEvent.CHANGE);
        assertThat(received.outcome()).isEqualTo(ReceivedEvent.CHANGE_RECORDED);
        // it opens no incident
        assertThat(sb.incidents()).hasSize(1);
        HttpResponse<String> rest = http.send(HttpRequest.newBuilder(URI.create(sb.rootUrl() + "/incidents/" + incident
                + "/related_change_events")).header("Authorization", "Token token=" + sb.apiToken()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(rest.body()).at("/change_events/0/payload/summary").asText()).isEqualTo("restarted 3 pods of payment-api");
        HttpResponse<String> control = http.send(HttpRequest.newBuilder(URI.create(sb.rootUrl() + "/sandbox/incidents")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(control.body()).at("/incidents/0/related_change_events/0").asText()).isEqualTo("restarted 3 pods of payment-api");
    }

    @Test
    void changeEventsAreRefusedWithoutSummaryOverLimitsOnRulesetKeysOrWithBadLinks() throws Exception {
        assertRefused(change(KEY, null, null), "'payload.summary' is missing or blank");
        assertRefused(change(KEY, "s".repeat(1025), null), "Length of 'payload.summary' is incorrect (should be at most 1024 characters)");
        assertThat(post(sb.changeEventsUrl(), change(KEY, "s".repeat(1024), null)).statusCode()).isEqualTo(202);
        assertRefused(change("R" + KEY.substring(1), "x", null), "'routing_key' is a ruleset key: change events cannot be sent to rulesets");
        assertRefused(change(KEY.substring(1), "x", null), "Length of 'routing_key' is incorrect (should be 32 characters)");
        assertRefused(change(KEY, "x", "[{\"text\":\"no href\"}]"), "'links[0].href' is missing or blank");
        assertRefused(change(KEY, "x", "{\"href\":\"https://x\"}"), "'links' is invalid (must be an array)");
        String big = change(KEY, "x", null).replace("\"pods\":3", "\"log\":\"" + "x".repeat(512 * 1024) + "\"");
        assertRefused(big, EventValidator.TOO_LARGE);
    }

    private void assertRefused(String body, String error) throws Exception {
        HttpResponse<String> answer = post(sb.changeEventsUrl(), body);
        assertThat(answer.statusCode()).isEqualTo(400);
        JsonNode errors = JSON.readTree(answer.body()).get("errors");
        assertThat(errors.toString()).contains(error.replace("\"", "\\\""));
    }

    @Test
    void aNoteWrittenThroughRestNeedsTheTokenAndAFromHeaderAndIsAnnounced() throws Exception {
        String incident = incident();
        String url = sb.rootUrl() + "/incidents/" + incident + "/notes";
        String note = "{\"note\":{\"content\":\"also affected: checkout-api\"}}";
        assertThat(post(url, note).statusCode()).isEqualTo(401);
        HttpResponse<String> noFrom = post(url, note, "Authorization", "Token token=" + sb.apiToken());
        assertThat(noFrom.statusCode()).isEqualTo(400);
        assertThat(noFrom.body()).contains("From header");
        HttpResponse<String> ok = post(url, note, "Authorization", "Token token=" + sb.apiToken(), "From", "bot@example.com");
        assertThat(ok.statusCode()).isEqualTo(201);
        assertThat(JSON.readTree(ok.body()).at("/note/content").asText()).isEqualTo("also affected: checkout-api");
        assertThat(sb.incident(incident).notes()).extracting(Note::content, Note::user)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("also affected: checkout-api", "bot@example.com"));
        assertThat(sb.webhookEvents()).anyMatch(e -> e.at("/event/event_type").asText().equals("incident.annotated"));
        assertThat(post(sb.rootUrl() + "/incidents/QNOPE/notes", note, "Authorization", "Token token=" + sb.apiToken(),
                "From", "bot@example.com").statusCode()).isEqualTo(404);
    }
}
