package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Drives the sandbox over real HTTP the way a client of PagerDuty would, and asserts what that client would see.
 */
class PagerDutySandboxTest {

    private static final String KEY_A = "e93facc04764012d7bfb002500d5d1a6";
    private static final String KEY_B = "0123456789abcdef0123456789abcdef";
    private static final String TOKEN = "sandbox-api-token";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Events API: what PagerDuty accepts

    @Test
    void validTriggerIsAcceptedWithItsDedupKeyAndOpensAnIncident() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());

        HttpResponse<String> response = post(sb.eventsUrl(), trigger(KEY_A, "disk/db01", "Disk full on db01", "critical"));

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(json(response.body())).isEqualTo(
                json("{\"status\":\"success\",\"message\":\"Event processed\",\"dedup_key\":\"disk/db01\"}"));
        Incident incident = sb.incidentByKey("disk/db01").orElseThrow();
        assertThat(incident.status()).isEqualTo("triggered");
        assertThat(incident.title()).isEqualTo("Disk full on db01");
        assertThat(incident.urgency()).isEqualTo("high");
        assertThat(incident.id()).matches("Q[A-Z0-9]{13}");
        assertThat(incident.json().get("html_url").asText()).isEqualTo(sb.rootUrl() + "/incidents/" + incident.id());
        assertThat(incident.json().at("/assignees/0/summary").asText()).isEqualTo("On-Call Engineer");
    }

    @Test
    void triggerWithoutDedupKeyGetsOneGeneratedAndReturned() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());
        ObjectNode event = trigger(KEY_A, null, "CPU at 95%", "warning");

        HttpResponse<String> response = post(sb.eventsUrl(), event);

        assertThat(response.statusCode()).isEqualTo(202);
        String dedupKey = json(response.body()).get("dedup_key").asText();
        assertThat(dedupKey).matches("[0-9a-f]{32}");
        assertThat(sb.incidentByKey(dedupKey).orElseThrow().urgency()).isEqualTo("low");
    }

    @Test
    void imagesAndLinksAreRecordedWhereTheClientPutThem() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());
        ObjectNode event = trigger(KEY_A, "with-links", "Latency high", "error");
        event.putArray("images").addObject().put("src", "https://grafana.example/render/latency.png");
        event.putArray("links").addObject().put("href", "https://grafana.example/d/latency").put("text", "Dashboard");

        assertThat(post(sb.eventsUrl(), event).statusCode()).isEqualTo(202);

        JsonNode recorded = sb.events().get(0).body();
        assertThat(recorded.at("/images/0/src").asText()).isEqualTo("https://grafana.example/render/latency.png");
        assertThat(recorded.at("/links/0/text").asText()).isEqualTo("Dashboard");
        assertThat(recorded.at("/payload/images").isMissingNode()).isTrue();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Events API: what PagerDuty rejects

    @Test
    void severityOutsideTheFourLowerCaseValuesIsRejected() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());

        HttpResponse<String> response = post(sb.eventsUrl(), trigger(KEY_A, "k", "Disk full", "CRITICAL"));

        assertInvalid(response, "'payload.severity' is invalid (must be one of the following: "
                + "'critical', 'warning', 'error' or 'info')");
        assertThat(sb.incidents()).isEmpty();
        assertThat(sb.events().get(0).outcome()).isEqualTo(ReceivedEvent.REJECTED);
    }

    @Test
    void missingSummaryIsRejected() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());
        ObjectNode event = trigger(KEY_A, "k", "x", "info");
        ((ObjectNode) event.get("payload")).remove("summary");

        assertInvalid(post(sb.eventsUrl(), event), "'payload.summary' is missing or blank");
    }

    @Test
    void summaryLongerThan1024CharactersIsRejectedSoTheClientMustTruncate() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());

        assertInvalid(post(sb.eventsUrl(), trigger(KEY_A, "long", "s".repeat(1025), "info")),
                "Length of 'payload.summary' is incorrect (should be at most 1024 characters)");
        assertThat(post(sb.eventsUrl(), trigger(KEY_A, "long", "s".repeat(1024), "info")).statusCode())
                .isEqualTo(202);
    }

    @Test
    void routingKeyMustBeExactly32Characters() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());

        assertInvalid(post(sb.eventsUrl(), trigger(KEY_A.substring(1), "k", "Disk full", "info")),
                "Length of 'routing_key' is incorrect (should be 32 characters)");
    }

    @Test
    void bodyOver512KbIsRejectedAndExactly512KbIsAccepted() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());
        ObjectNode event = trigger(KEY_A, "big", "Big event", "info");
        ((ObjectNode) event.get("payload")).putObject("custom_details").put("pad", "");
        int padding = 524_288 - MAPPER.writeValueAsBytes(event).length;
        ((ObjectNode) event.at("/payload/custom_details")).put("pad", "x".repeat(padding));
        assertThat(MAPPER.writeValueAsBytes(event)).hasSize(524_288);

        assertThat(post(sb.eventsUrl(), event).statusCode()).isEqualTo(202);

        ((ObjectNode) event.at("/payload/custom_details")).put("pad", "x".repeat(padding + 1));
        assertInvalid(post(sb.eventsUrl(), event), "Event exceeds the 512 KB size limit");
    }

    @Test
    void bodyThatIsNotAJsonObjectIsUnrecognized() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());
        JsonNode expected = json("{\"status\":\"Unrecognized object\",\"message\":\"Event object format is unrecognized\","
                + "\"errors\":[\"JSON parse error\"]}");

        for (String body : List.of("this is not json", "[1,2,3]", "{\"routing_key\":", "{} trailing")) {
            HttpResponse<String> response = post(sb.eventsUrl(), body);
            assertThat(response.statusCode()).as(body).isEqualTo(400);
            assertThat(json(response.body())).as(body).isEqualTo(expected);
        }
    }

    @Test
    void acknowledgeWithoutDedupKeyIsRejected() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());

        assertInvalid(post(sb.eventsUrl(), action(KEY_A, null, "acknowledge")), "'dedup_key' is missing or blank");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Events API: throttling and semantics

    @Test
    void routingKeyOverItsPerMinuteLimitIsThrottledWhileAnotherKeyIsNot() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder().rateLimitPerMinute(3));

        for (int i = 0; i < 3; i++) {
            assertThat(post(sb.eventsUrl(), trigger(KEY_A, "k" + i, "event " + i, "info")).statusCode()).isEqualTo(202);
        }
        HttpResponse<String> throttled = post(sb.eventsUrl(), trigger(KEY_A, "k3", "event 3", "info"));
        HttpResponse<String> otherKey = post(sb.eventsUrl(), trigger(KEY_B, "k3", "event 3", "info"));

        assertThat(throttled.statusCode()).isEqualTo(429);
        assertThat(json(throttled.body())).isEqualTo(json("{\"status\":\"throttle event\",\"message\":"
                + "\"Requests for this service are arriving too quickly. Please back off and try again later.\"}"));
        assertThat(otherKey.statusCode()).isEqualTo(202);
        assertThat(sb.events()).extracting(ReceivedEvent::outcome).containsExactly(
                "created", "created", "created", "throttled", "created");
        // a throttled event was not ingested: no incident for KEY_A/k3
        assertThat(sb.incidents()).filteredOn(i -> i.routingKey().equals(KEY_A)).hasSize(3);
    }

    @Test
    void throttledRequestsDoNotCountTowardsTheWindow() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder().rateLimitPerMinute(1)
                .rateLimitWindow(Duration.ofMillis(300)));

        assertThat(post(sb.eventsUrl(), trigger(KEY_A, "a", "a", "info")).statusCode()).isEqualTo(202);
        assertThat(post(sb.eventsUrl(), trigger(KEY_A, "b", "b", "info")).statusCode()).isEqualTo(429);
        Thread.sleep(350);
        assertThat(post(sb.eventsUrl(), trigger(KEY_A, "b", "b", "info")).statusCode()).isEqualTo(202);
    }

    @Test
    void acknowledgeOrResolveFromAnotherRoutingKeyIsSilentlyDropped() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());
        post(sb.eventsUrl(), trigger(KEY_A, "db-down", "DB down", "critical"));

        HttpResponse<String> ack = post(sb.eventsUrl(), action(KEY_B, "db-down", "acknowledge"));
        HttpResponse<String> resolve = post(sb.eventsUrl(), action(KEY_B, "db-down", "resolve"));

        assertThat(ack.statusCode()).isEqualTo(202);
        assertThat(json(resolve.body()).get("dedup_key").asText()).isEqualTo("db-down");
        assertThat(resolve.statusCode()).isEqualTo(202);
        assertThat(sb.incidentByKey("db-down").orElseThrow().status()).isEqualTo("triggered");
        assertThat(sb.events()).extracting(ReceivedEvent::outcome).containsExactly("created", "dropped", "dropped");

        assertThat(post(sb.eventsUrl(), action(KEY_A, "db-down", "resolve")).statusCode()).isEqualTo(202);
        assertThat(sb.incidentByKey("db-down").orElseThrow().status()).isEqualTo("resolved");
        // resolving again changes nothing and is still accepted
        assertThat(post(sb.eventsUrl(), action(KEY_A, "db-down", "resolve")).statusCode()).isEqualTo(202);
        assertThat(sb.events().get(4).outcome()).isEqualTo(ReceivedEvent.DROPPED);
    }

    @Test
    void retriggerWhileOpenIsDeduplicatedButAfterResolveItPagesAgain() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());

        post(sb.eventsUrl(), trigger(KEY_A, "disk", "Disk full", "critical"));
        post(sb.eventsUrl(), action(KEY_A, "disk", "acknowledge"));
        post(sb.eventsUrl(), trigger(KEY_A, "disk", "Disk full", "critical"));

        assertThat(sb.incidents()).hasSize(1);
        Incident first = sb.incidents().get(0);
        assertThat(first.status()).isEqualTo("acknowledged");
        assertThat(first.alerts().get(0).deduplicatedEvents()).isEqualTo(1);

        post(sb.eventsUrl(), action(KEY_A, "disk", "resolve"));
        post(sb.eventsUrl(), trigger(KEY_A, "disk", "Disk full again", "critical"));

        assertThat(sb.incidentsByKey("disk")).extracting(Incident::status).containsExactly("resolved", "triggered");
        Incident second = sb.incidentByKey("disk").orElseThrow();
        assertThat(second.id()).isNotEqualTo(first.id());
        assertThat(second.number()).isEqualTo(first.number() + 1);
        assertThat(sb.events()).extracting(ReceivedEvent::outcome)
                .containsExactly("created", "acknowledged", "deduplicated", "resolved", "created");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // REST API

    @Test
    void restApiRequiresTheTokenAndFiltersByStatus() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());
        post(sb.eventsUrl(), trigger(KEY_A, "one", "one", "info"));
        post(sb.eventsUrl(), trigger(KEY_A, "two", "two", "info"));
        post(sb.eventsUrl(), trigger(KEY_B, "three", "three", "info"));
        sb.acknowledge(sb.incidentByKey("two").orElseThrow().id(), "Alice Example");
        sb.resolve(sb.incidentByKey("three").orElseThrow().id(), "Alice Example");

        HttpResponse<String> noToken = get(sb.rootUrl() + "/incidents", null);
        HttpResponse<String> wrongToken = get(sb.rootUrl() + "/incidents", "Token token=nope");
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(json(noToken.body())).isEqualTo(json("{\"error\":{\"message\":\"Unauthorized\",\"code\":2006}}"));
        assertThat(wrongToken.statusCode()).isEqualTo(401);

        HttpResponse<String> acked = get(sb.rootUrl() + "/incidents?statuses%5B%5D=acknowledged", auth());
        assertThat(acked.statusCode()).isEqualTo(200);
        JsonNode body = json(acked.body());
        assertThat(body.get("incidents")).hasSize(1);
        assertThat(body.at("/incidents/0/incident_key").asText()).isEqualTo("two");
        assertThat(body.at("/incidents/0/status").asText()).isEqualTo("acknowledged");
        assertThat(body.at("/incidents/0/type").asText()).isEqualTo("incident");
        assertThat(body.at("/incidents/0/service/type").asText()).isEqualTo("service_reference");
        assertThat(body.get("limit").asInt()).isEqualTo(25);
        assertThat(body.get("more").asBoolean()).isFalse();
        assertThat(body.get("total").isNull()).isTrue();

        JsonNode open = json(get(sb.rootUrl() + "/incidents?statuses[]=triggered&statuses[]=acknowledged", auth()).body());
        assertThat(open.get("incidents")).extracting(i -> i.get("incident_key").asText()).containsExactly("one", "two");

        JsonNode paged = json(get(sb.rootUrl() + "/incidents?limit=1&offset=1", auth()).body());
        assertThat(paged.get("incidents")).extracting(i -> i.get("incident_key").asText()).containsExactly("two");
        assertThat(paged.get("more").asBoolean()).isTrue();

        HttpResponse<String> tooMany = get(sb.rootUrl() + "/incidents?limit=101", auth());
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(json(tooMany.body())).isEqualTo(json("{\"error\":{\"message\":\"Invalid Input Provided\","
                + "\"code\":2001,\"errors\":[\"Limit must be less than or equal to 100\"]}}"));
        assertThat(get(sb.rootUrl() + "/incidents?limit=100&offset=9901", auth()).statusCode()).isEqualTo(400);

        HttpResponse<String> unknown = get(sb.rootUrl() + "/incidents/QNOPE/notes", auth());
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown.body())).isEqualTo(json("{\"error\":{\"message\":\"Not Found\",\"code\":2100}}"));
    }

    @Test
    void restApiIsRateLimitedPerToken() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder().restRateLimitPerMinute(2));

        assertThat(get(sb.rootUrl() + "/incidents", auth()).statusCode()).isEqualTo(200);
        assertThat(get(sb.rootUrl() + "/incidents", auth()).statusCode()).isEqualTo(200);
        HttpResponse<String> limited = get(sb.rootUrl() + "/incidents", auth());

        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(json(limited.body())).isEqualTo(json("{\"error\":{\"message\":\"Rate Limit Exceeded\",\"code\":2020}}"));
        // every REST request is counted, the refused one too
        assertThat(sb.restCallCount()).isEqualTo(3);
        assertThat(sb.restThrottledCount()).isEqualTo(1);
        assertThat(sb.restCalls()).extracting(RestCall::path).containsOnly("/incidents");
    }

    @Test
    void restAnswersCarryPagerDutysRateLimitHeaders() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder().restRateLimitPerMinute(3));

        HttpResponse<String> first = get(sb.rootUrl() + "/incidents", auth());
        assertThat(first.headers().firstValue("ratelimit-limit")).hasValue("3");
        assertThat(first.headers().firstValue("ratelimit-remaining")).hasValue("2");
        assertThat(Long.parseLong(first.headers().firstValue("ratelimit-reset").orElseThrow())).isBetween(1L, 60L);
        get(sb.rootUrl() + "/incidents", auth());
        get(sb.rootUrl() + "/incidents", auth());
        HttpResponse<String> limited = get(sb.rootUrl() + "/incidents", auth());
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("ratelimit-remaining")).hasValue("0");
    }

    @Test
    void mergeMovesAlertsIntoTheTargetAndResolvesTheSourceWithAReason() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());
        post(sb.eventsUrl(), trigger(KEY_A, "web-1", "web-1 down", "critical"));
        post(sb.eventsUrl(), trigger(KEY_A, "web-2", "web-2 down", "critical"));
        String target = sb.incidentByKey("web-1").orElseThrow().id();
        String source = sb.incidentByKey("web-2").orElseThrow().id();

        sb.mergeInto(target, source);

        JsonNode alerts = json(get(sb.rootUrl() + "/incidents/" + target + "/alerts", auth()).body());
        assertThat(alerts.get("alerts")).extracting(a -> a.get("alert_key").asText()).containsExactly("web-1", "web-2");
        assertThat(alerts.at("/alerts/1/incident/id").asText()).isEqualTo(target);
        assertThat(alerts.at("/alerts/1/type").asText()).isEqualTo("alert");
        Incident merged = sb.incident(source);
        assertThat(merged.status()).isEqualTo("resolved");
        assertThat(merged.resolveReason().get("type").asText()).isEqualTo("merge_resolve_reason");
        assertThat(merged.resolveReason().at("/incident/id").asText()).isEqualTo(target);

        // the moved alert still answers to its own dedup key, now on the target incident
        post(sb.eventsUrl(), action(KEY_A, "web-2", "resolve"));
        assertThat(sb.incident(target).status()).isEqualTo("triggered"); // web-1 is still open
        post(sb.eventsUrl(), action(KEY_A, "web-1", "resolve"));
        assertThat(sb.incident(target).status()).isEqualTo("resolved");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Webhooks

    @Test
    void webhooksAreSignedOverTheExactBodyAndSentInOrder() throws Exception {
        Receiver receiver = receiver();
        PagerDutySandbox sb = start(PagerDutySandbox.builder().webhook(receiver.url(), List.of("secret-1")));

        post(sb.eventsUrl(), trigger(KEY_A, "disk", "Disk full", "critical"));
        post(sb.eventsUrl(), action(KEY_A, "disk", "acknowledge"));
        sb.resolve(sb.incidentByKey("disk").orElseThrow().id(), "Alice Example");
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();

        List<Receiver.Request> requests = receiver.requests();
        assertThat(requests).extracting(r -> json(r.text()).at("/event/event_type").asText())
                .containsExactly("incident.triggered", "incident.acknowledged", "incident.resolved");
        Receiver.Request first = requests.get(0);
        assertThat(first.header("X-PagerDuty-Signature")).isEqualTo("v1=" + hmacHex("secret-1", first.body()));
        assertThat(first.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
        assertThat(first.header("User-Agent")).isEqualTo("PagerDuty-Webhook/V3.0");
        assertThat(first.header("X-Webhook-Subscription")).isEqualTo(sb.webhookSubscriptionIds().get(0));
        assertThat(first.header("X-Webhook-Id")).isNotBlank();

        JsonNode event = json(first.text()).get("event");
        assertThat(event.get("id").asText()).matches("01[A-Z0-9]{24}");
        assertThat(event.get("resource_type").asText()).isEqualTo("incident");
        assertThat(event.get("occurred_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(event.get("client").isNull()).isTrue();
        assertThat(event.at("/agent/type").asText()).isEqualTo("inbound_integration_reference");
        assertThat(event.at("/data/id").asText()).isEqualTo(sb.incidentByKey("disk").orElseThrow().id());
        assertThat(event.at("/data/status").asText()).isEqualTo("triggered");

        JsonNode acknowledged = json(requests.get(1).text()).get("event");
        assertThat(acknowledged.at("/agent/summary").asText()).isEqualTo("Events API v2");
        JsonNode resolved = json(requests.get(2).text()).get("event");
        assertThat(resolved.at("/agent/type").asText()).isEqualTo("user_reference");
        assertThat(resolved.at("/agent/summary").asText()).isEqualTo("Alice Example");
        assertThat(resolved.at("/data/status").asText()).isEqualTo("resolved");
    }

    @Test
    void duringSecretRotationEachSecretGetsItsOwnSignature() throws Exception {
        Receiver receiver = receiver();
        PagerDutySandbox sb = start(PagerDutySandbox.builder().webhook(receiver.url(), List.of("old-secret", "new-secret")));

        post(sb.eventsUrl(), trigger(KEY_A, "rotation", "Rotation", "info"));
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();

        Receiver.Request request = receiver.requests().get(0);
        assertThat(request.header("X-PagerDuty-Signature")).isEqualTo(
                "v1=" + hmacHex("old-secret", request.body()) + ",v1=" + hmacHex("new-secret", request.body()));
    }

    @Test
    void webhookIsRetriedAfter500AndDroppedAfter400() throws Exception {
        Receiver receiver = receiver(500, 500, 200, 400);
        PagerDutySandbox sb = start(PagerDutySandbox.builder().webhook(receiver.url(), List.of("s"))
                .webhookRetryBackoff(Duration.ofMillis(50)));

        post(sb.eventsUrl(), trigger(KEY_A, "retry", "Retry me", "info"));
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();
        String id = sb.incidentByKey("retry").orElseThrow().id();
        sb.acknowledge(id, "Alice Example"); // receiver answers 400: dropped, never retried
        sb.annotate(id, "Alice Example", "after the drop"); // later events still flow
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();

        assertThat(sb.webhookAttempts()).extracting(WebhookAttempt::eventType, WebhookAttempt::attempt,
                WebhookAttempt::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple("incident.triggered", 1, 500),
                org.assertj.core.groups.Tuple.tuple("incident.triggered", 2, 500),
                org.assertj.core.groups.Tuple.tuple("incident.triggered", 3, 200),
                org.assertj.core.groups.Tuple.tuple("incident.acknowledged", 1, 400),
                org.assertj.core.groups.Tuple.tuple("incident.annotated", 1, 200));
        // retries of one event carry the same delivery id and the same bytes
        List<Receiver.Request> requests = receiver.requests();
        assertThat(requests.get(0).header("X-Webhook-Id")).isEqualTo(requests.get(2).header("X-Webhook-Id"));
        assertThat(requests.get(0).body()).isEqualTo(requests.get(2).body());
        assertThat(sb.disabledWebhookSubscriptions()).isEmpty();
    }

    @Test
    void threeDropsInARowDisableTheSubscription() throws Exception {
        Receiver receiver = receiver(400, 400, 400);
        PagerDutySandbox sb = start(PagerDutySandbox.builder().webhook(receiver.url(), List.of("s")));

        post(sb.eventsUrl(), trigger(KEY_A, "a", "a", "info"));
        post(sb.eventsUrl(), trigger(KEY_A, "b", "b", "info"));
        post(sb.eventsUrl(), trigger(KEY_A, "c", "c", "info"));
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();
        post(sb.eventsUrl(), trigger(KEY_A, "d", "d", "info"));
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();

        assertThat(sb.disabledWebhookSubscriptions()).containsExactly(sb.webhookSubscriptionIds().get(0));
        assertThat(receiver.requests()).hasSize(3);
        assertThat(sb.webhookEvents()).hasSize(4); // published, but not sent to a disabled subscription
    }

    @Test
    void aDisabledSubscriptionIsListedInactiveUntilTheControlCallEnablesItAgain() throws Exception {
        Receiver receiver = receiver(401, 401, 401, 200);
        PagerDutySandbox sb = start(PagerDutySandbox.builder().webhook(receiver.url(), List.of("s")));
        String id = sb.webhookSubscriptionIds().get(0);
        assertThat(json(get(sb.rootUrl() + "/webhook_subscriptions", auth()).body()).at("/webhook_subscriptions/0/active").asBoolean())
                .isTrue();

        for (String key : List.of("a", "b", "c")) {
            post(sb.eventsUrl(), trigger(KEY_A, key, key, "info"));
        }
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();
        JsonNode listed = json(get(sb.rootUrl() + "/webhook_subscriptions", auth()).body());
        assertThat(listed.at("/webhook_subscriptions/0/id").asText()).isEqualTo(id);
        assertThat(listed.at("/webhook_subscriptions/0/active").asBoolean()).isFalse();
        assertThat(listed.at("/webhook_subscriptions/0/delivery_method/url").asText()).isEqualTo(receiver.url());
        assertThat(get(sb.rootUrl() + "/webhook_subscriptions", "Token token=wrong").statusCode()).isEqualTo(401);

        post(sb.eventsUrl(), trigger(KEY_A, "missed", "missed", "info")); // never sent: PagerDuty does not catch up
        HttpResponse<String> enabled = post(sb.rootUrl() + "/sandbox/webhooks/" + id + "/enable", "{}");
        assertThat(enabled.statusCode()).isEqualTo(200);
        assertThat(json(get(sb.rootUrl() + "/webhook_subscriptions", auth()).body()).at("/webhook_subscriptions/0/active").asBoolean())
                .isTrue();
        post(sb.eventsUrl(), trigger(KEY_A, "after", "after", "info"));
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();
        assertThat(receiver.requests()).hasSize(4);
        assertThat(receiver.requests().get(3).text()).contains("\"incident_key\":\"after\"");
        assertThat(post(sb.rootUrl() + "/sandbox/webhooks/PNOPE/enable", "{}").statusCode()).isEqualTo(404);
    }

    @Test
    void connectionErrorsAreRetriedUpToMaxAttempts() throws Exception {
        Receiver receiver = receiver();
        String url = receiver.url();
        receiver.close(); // nothing listens there any more
        PagerDutySandbox sb = start(PagerDutySandbox.builder().webhook(url, List.of("s"))
                .webhookRetryBackoff(Duration.ofMillis(10)).webhookMaxAttempts(3));

        post(sb.eventsUrl(), trigger(KEY_A, "a", "a", "info"));
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();

        assertThat(sb.webhookAttempts()).extracting(WebhookAttempt::status).containsExactly(-1, -1, -1);
        assertThat(sb.webhookAttempts().get(0).error()).isNotBlank();
    }

    @Test
    void receiverThatAnswersTooSlowlyIsRetried() throws Exception {
        Receiver receiver = receiver(Receiver.SLOW);
        PagerDutySandbox sb = start(PagerDutySandbox.builder().webhook(receiver.url(), List.of("s"))
                .webhookTimeout(Duration.ofMillis(200)).webhookRetryBackoff(Duration.ofMillis(10)));

        post(sb.eventsUrl(), trigger(KEY_A, "slow", "Slow receiver", "info"));
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();

        assertThat(sb.webhookAttempts()).extracting(WebhookAttempt::attempt, WebhookAttempt::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, -1), org.assertj.core.groups.Tuple.tuple(2, 200));
    }

    @Test
    void everyResponderActionFiresItsWebhook() throws Exception {
        Receiver receiver = receiver();
        PagerDutySandbox sb = start(PagerDutySandbox.builder().webhook(receiver.url(), List.of("s")));
        post(sb.eventsUrl(), trigger(KEY_A, "life", "Lifecycle", "critical"));
        String id = sb.incidentByKey("life").orElseThrow().id();

        sb.acknowledge(id, "Alice Example");
        sb.unacknowledge(id);
        sb.escalate(id, "Alice Example");
        sb.reassign(id, "Alice Example", "Bob Example");
        sb.delegate(id, "Alice Example", "Database Team");
        sb.setPriority(id, "Alice Example", "P1");
        sb.resolve(id, "Bob Example");
        sb.reopen(id, "Bob Example");
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();

        List<JsonNode> events = receiver.requests().stream().map(r -> json(r.text()).get("event")).toList();
        assertThat(events).extracting(e -> e.get("event_type").asText()).containsExactly("incident.triggered",
                "incident.acknowledged", "incident.unacknowledged", "incident.escalated", "incident.reassigned",
                "incident.delegated", "incident.priority_updated", "incident.resolved", "incident.reopened");
        assertThat(events.get(2).get("agent").isNull()).isTrue(); // an ack timeout has no agent
        assertThat(events.get(4).at("/data/assignees/0/summary").asText()).isEqualTo("Bob Example");
        assertThat(events.get(5).at("/data/escalation_policy/summary").asText()).isEqualTo("Database Team");
        assertThat(events.get(6).at("/data/priority/summary").asText()).isEqualTo("P1");
        assertThat(events.get(8).at("/data/status").asText()).isEqualTo("triggered");
        // a reopened incident owns its dedup key again: a new trigger is folded into it
        post(sb.eventsUrl(), trigger(KEY_A, "life", "Lifecycle", "critical"));
        assertThat(sb.incidents()).hasSize(1);
        assertThatThrownBy(() -> sb.unacknowledge(id)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void redeliverSendsTheSameBytesIdsAndSignatureAgain() throws Exception {
        Receiver receiver = receiver();
        PagerDutySandbox sb = start(PagerDutySandbox.builder().webhook(receiver.url(), List.of("s")));
        post(sb.eventsUrl(), trigger(KEY_A, "dup", "Duplicate me", "info"));
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();
        String eventId = sb.webhookEvents().get(0).at("/event/id").asText();

        sb.redeliver(eventId, 2);
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();

        List<Receiver.Request> requests = receiver.requests();
        assertThat(requests).hasSize(3);
        for (Receiver.Request again : requests.subList(1, 3)) {
            assertThat(again.body()).isEqualTo(requests.get(0).body());
            assertThat(again.header("X-Webhook-Id")).isEqualTo(requests.get(0).header("X-Webhook-Id"));
            assertThat(again.header("X-PagerDuty-Signature")).isEqualTo(requests.get(0).header("X-PagerDuty-Signature"));
        }
    }

    @Test
    void rawWebhookIsSentWithExactlyTheGivenHeaders() throws Exception {
        Receiver receiver = receiver(401);
        PagerDutySandbox sb = start(PagerDutySandbox.builder().webhook(receiver.url(), List.of("s")));

        int status = sb.sendRawWebhook("{\"event\":{}}", Map.of("Content-Type", "application/json",
                "X-PagerDuty-Signature", "v1=forged"));

        assertThat(status).isEqualTo(401);
        assertThat(receiver.requests().get(0).header("X-PagerDuty-Signature")).isEqualTo("v1=forged");
        assertThat(receiver.requests().get(0).text()).isEqualTo("{\"event\":{}}");
        assertThat(sb.webhookAttempts()).isEmpty();
    }

    @Test
    void longNotesAreTrimmedInTheWebhookButNotInTheRestApi() throws Exception {
        Receiver receiver = receiver();
        PagerDutySandbox sb = start(PagerDutySandbox.builder().webhook(receiver.url(), List.of("s")));
        post(sb.eventsUrl(), trigger(KEY_A, "noted", "Noted", "info"));
        String id = sb.incidentByKey("noted").orElseThrow().id();
        String content = "n".repeat(1500);

        sb.annotate(id, "Alice Example", content);
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();

        JsonNode event = json(receiver.requests().get(1).text()).get("event");
        assertThat(event.get("event_type").asText()).isEqualTo("incident.annotated");
        assertThat(event.at("/data/type").asText()).isEqualTo("incident_note");
        assertThat(event.at("/data/content").asText()).hasSize(1000);
        assertThat(event.at("/data/trimmed").asBoolean()).isTrue();
        assertThat(event.at("/data/incident/type").asText()).isEqualTo("incident_reference");
        JsonNode notes = json(get(sb.rootUrl() + "/incidents/" + id + "/notes", auth()).body());
        assertThat(notes.at("/notes/0/content").asText()).isEqualTo(content);
        assertThat(notes.at("/notes/0/user/summary").asText()).isEqualTo("Alice Example");
        assertThat(notes.at("/notes/0/id").asText()).isEqualTo(event.at("/data/id").asText());
    }

    @Test
    void emitSendsAnyEventTypeForAnIncident() throws Exception {
        Receiver receiver = receiver();
        PagerDutySandbox sb = start(PagerDutySandbox.builder().webhook(receiver.url(), List.of("s")));
        post(sb.eventsUrl(), trigger(KEY_A, "emit", "Emit", "info"));
        String id = sb.incidentByKey("emit").orElseThrow().id();

        sb.emit(id, "incident.assigned", "Bob Example");
        sb.emit(id, "incident.workflow.started", null);
        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();

        List<JsonNode> events = receiver.requests().stream().map(r -> json(r.text()).get("event")).toList();
        assertThat(events).extracting(e -> e.get("event_type").asText())
                .containsExactly("incident.triggered", "incident.assigned", "incident.workflow.started");
        assertThat(events.get(1).at("/agent/summary").asText()).isEqualTo("Bob Example");
        assertThat(events.get(2).get("agent").isNull()).isTrue();
        assertThat(events.get(2).at("/data/id").asText()).isEqualTo(id);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Faults

    @Test
    void injected500IsAnsweredOnceThenEventsAreAcceptedAgain() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());
        sb.faults().respond(500, 1);

        HttpResponse<String> failed = post(sb.eventsUrl(), trigger(KEY_A, "flaky", "Flaky", "error"));
        HttpResponse<String> retried = post(sb.eventsUrl(), trigger(KEY_A, "flaky", "Flaky", "error"));

        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(json(failed.body()).get("status").asText()).isEqualTo("error");
        assertThat(retried.statusCode()).isEqualTo(202);
        assertThat(sb.faults().statuses()).containsExactly(500, 202);
        assertThat(sb.faults().requestCount()).isEqualTo(2);
        assertThat(sb.events()).extracting(ReceivedEvent::outcome).containsExactly("fault", "created");
        assertThat(sb.incidents()).hasSize(1);
    }

    @Test
    void aLostEventIsAnswered202LikeAnyOtherAndChangesNothing() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());
        post(sb.eventsUrl(), trigger(KEY_A, "lost", "Lost", "error"));
        HttpResponse<String> lose = post(sb.rootUrl() + "/sandbox/faults", "{\"lose\":1}");
        assertThat(lose.statusCode()).isEqualTo(200);

        HttpResponse<String> lost = post(sb.eventsUrl(), action(KEY_A, "lost", "resolve"));
        assertThat(lost.statusCode()).isEqualTo(202);
        assertThat(json(lost.body()).get("status").asText()).isEqualTo("success");
        assertThat(sb.incidentByKey("lost").orElseThrow().status()).isEqualTo("triggered");
        post(sb.eventsUrl(), action(KEY_A, "lost", "resolve"));
        assertThat(sb.incidentByKey("lost").orElseThrow().status()).as("only the next event is lost").isEqualTo("resolved");
        assertThat(sb.events()).extracting(ReceivedEvent::outcome).containsExactly("created", "lost", "resolved");
    }

    @Test
    void injected429CarriesRetryAfterAndPagerDutysThrottleBody() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());
        sb.faults().respond(429, 1, 7);

        HttpResponse<String> response = post(sb.eventsUrl(), trigger(KEY_A, "k", "k", "info"));

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("7");
        assertThat(json(response.body()).get("status").asText()).isEqualTo("throttle event");
    }

    @Test
    void delayedAnswerStillIngestsTheEvent() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());
        sb.faults().delay(Duration.ofMillis(1500), 1);
        HttpRequest request = HttpRequest.newBuilder(URI.create(sb.eventsUrl())).timeout(Duration.ofMillis(300))
                .POST(HttpRequest.BodyPublishers.ofString(trigger(KEY_A, "slow", "Slow", "info").toString())).build();

        assertThatThrownBy(() -> http.send(request, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(java.net.http.HttpTimeoutException.class);
        assertThat(sb.incidentByKey("slow")).isPresent(); // the client timed out, PagerDuty has it anyway
    }

    @Test
    void downRefusesConnectionsAndUpServesOnTheSamePort() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());
        int port = sb.port();

        sb.faults().down();
        assertRefused(sb.eventsUrl());
        sb.faults().up();

        assertThat(sb.port()).isEqualTo(port);
        assertThat(post("http://127.0.0.1:" + port + "/v2/enqueue", trigger(KEY_A, "k", "k", "info")).statusCode())
                .isEqualTo(202);
    }

    @Test
    void controlApiDownComesBackByItself() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());

        HttpResponse<String> response = post(sb.rootUrl() + "/sandbox/faults", "{\"down_ms\":300}");
        assertThat(response.statusCode()).isEqualTo(200);

        await().atMost(WAIT).until(() -> sb.faults().isDown());
        assertRefused(sb.eventsUrl());
        await().atMost(WAIT).until(() -> !sb.faults().isDown());
        assertThat(post(sb.eventsUrl(), trigger(KEY_A, "k", "k", "info")).statusCode()).isEqualTo(202);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Control API

    @Test
    void controlApiPlaysTheResponderAndAnswersErrorsAsJson() throws Exception {
        Receiver receiver = receiver();
        PagerDutySandbox sb = start(PagerDutySandbox.builder().webhook(receiver.url(), List.of("s")));
        post(sb.eventsUrl(), trigger(KEY_A, "ctl", "Control", "critical"));
        String id = sb.incidentByKey("ctl").orElseThrow().id();
        String base = sb.rootUrl() + "/sandbox/incidents/" + id;

        HttpResponse<String> ack = post(base + "/acknowledge", "{\"user\":\"Alice Example\"}");
        assertThat(ack.statusCode()).isEqualTo(200);
        assertThat(json(ack.body()).at("/incident/status").asText()).isEqualTo("acknowledged");
        HttpResponse<String> reassign = post(base + "/reassign", "{\"user\":\"Alice Example\",\"assignee\":\"Bob Example\"}");
        assertThat(json(reassign.body()).at("/incident/assignees/0/summary").asText()).isEqualTo("Bob Example");
        assertThat(post(base + "/notes", "{\"user\":\"Alice Example\",\"content\":\"on it\"}").statusCode()).isEqualTo(200);
        assertThat(post(base + "/resolve", "{\"user\":\"Alice Example\"}").statusCode()).isEqualTo(200);

        assertError(post(base + "/acknowledge", "{\"user\":\"Alice Example\"}"), 409);
        assertError(post(sb.rootUrl() + "/sandbox/incidents/QNOPE/acknowledge", "{\"user\":\"A\"}"), 404);
        assertError(post(base + "/reopen", "{}"), 400);
        assertError(post(base + "/reopen", "not json"), 400);
        assertError(post(base + "/explode", "{}"), 404);
        assertError(post(sb.rootUrl() + "/sandbox/faults", "{\"status\":200}"), 400);

        assertThat(sb.awaitWebhooksIdle(WAIT)).isTrue();
        assertThat(receiver.requests()).extracting(r -> json(r.text()).at("/event/event_type").asText())
                .containsExactly("incident.triggered", "incident.acknowledged", "incident.reassigned",
                        "incident.annotated", "incident.resolved");
        JsonNode events = json(get(sb.rootUrl() + "/sandbox/events", null).body());
        assertThat(events.at("/events/0/outcome").asText()).isEqualTo("created");
        JsonNode incidents = json(get(sb.rootUrl() + "/sandbox/incidents", null).body());
        assertThat(incidents.at("/incidents/0/status").asText()).isEqualTo("resolved");
    }

    @Test
    void controlApiInjectsFaults() throws Exception {
        PagerDutySandbox sb = start(PagerDutySandbox.builder());

        assertThat(post(sb.rootUrl() + "/sandbox/faults", "{\"status\":503,\"count\":2,\"retry_after\":1}")
                .statusCode()).isEqualTo(200);
        HttpResponse<String> first = post(sb.eventsUrl(), trigger(KEY_A, "k", "k", "info"));
        assertThat(first.statusCode()).isEqualTo(503);
        assertThat(first.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(delete(sb.rootUrl() + "/sandbox/faults").statusCode()).isEqualTo(200);

        assertThat(post(sb.eventsUrl(), trigger(KEY_A, "k", "k", "info")).statusCode()).isEqualTo(202);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // helpers

    private PagerDutySandbox start(PagerDutySandbox.Builder builder) {
        PagerDutySandbox sb = builder.apiToken(TOKEN).start();
        toClose.add(sb);
        return sb;
    }

    private Receiver receiver(int... statuses) throws IOException {
        Receiver receiver = new Receiver(statuses);
        toClose.add(receiver);
        return receiver;
    }

    private static ObjectNode trigger(String routingKey, String dedupKey, String summary, String severity) {
        ObjectNode event = MAPPER.createObjectNode();
        event.put("routing_key", routingKey);
        event.put("event_action", "trigger");
        if (dedupKey != null) {
            event.put("dedup_key", dedupKey);
        }
        ObjectNode payload = event.putObject("payload");
        payload.put("summary", summary);
        payload.put("source", "db01.example.com");
        payload.put("severity", severity);
        return event;
    }

    private static ObjectNode action(String routingKey, String dedupKey, String action) {
        ObjectNode event = MAPPER.createObjectNode();
        event.put("routing_key", routingKey);
        event.put("event_action", action);
        if (dedupKey != null) {
            event.put("dedup_key", dedupKey);
        }
        return event;
    }

    private HttpResponse<String> post(String url, JsonNode body) throws IOException, InterruptedException {
        return post(url, MAPPER.writeValueAsString(body));
    }

    private HttpResponse<String> post(String url, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(WAIT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String url, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(WAIT).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> delete(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(WAIT).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A new connection gets no HTTP answer: refused, or (on a loaded machine, a connection the kernel had queued as the
     * listener closed) closed before a byte of an answer. Checked with a fresh client, so no pooled connection is reused.
     */
    private static void assertRefused(String url) {
        HttpClient fresh = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(WAIT)
                .POST(HttpRequest.BodyPublishers.ofString(trigger(KEY_A, "k", "k", "info").toString())).build();
        assertThatThrownBy(() -> fresh.send(request, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(java.io.IOException.class).isNotInstanceOf(java.net.http.HttpTimeoutException.class);
    }

    private static String auth() {
        return "Token token=" + TOKEN;
    }

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static void assertInvalid(HttpResponse<String> response, String... errors) {
        assertThat(response.statusCode()).isEqualTo(400);
        ObjectNode expected = MAPPER.createObjectNode();
        expected.put("status", "invalid event");
        expected.put("message", "Event object is invalid");
        Arrays.stream(errors).forEach(expected.putArray("errors")::add);
        assertThat(json(response.body())).isEqualTo(expected);
    }

    private static void assertError(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = json(response.body());
        assertThat(body.get("error").isTextual()).as(response.body()).isTrue();
        assertThat(response.body()).doesNotContain("\tat ");
    }

    /** Computed here, not with the sandbox's code, so a signing bug cannot hide behind itself. */
    private static String hmacHex(String secret, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(body));
    }

    /** A tiny webhook receiver: answers the given statuses in order, then 200, and keeps every request. */
    private static final class Receiver implements AutoCloseable {
        /** Instead of a status: answer 200 only after a second, later than any timeout used here. */
        static final int SLOW = -1;

        record Request(Map<String, List<String>> headers, byte[] body) {
            String header(String name) {
                return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                        .map(e -> e.getValue().get(0)).findFirst().orElse(null);
            }

            String text() {
                return new String(body, StandardCharsets.UTF_8);
            }
        }

        private final HttpServer server;
        private final java.util.concurrent.ExecutorService executor =
                java.util.concurrent.Executors.newCachedThreadPool();
        private final Deque<Integer> statuses = new ArrayDeque<>();
        private final List<Request> requests = new ArrayList<>();

        Receiver(int... statuses) throws IOException {
            Arrays.stream(statuses).forEach(this.statuses::add);
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/webhook", exchange -> {
                byte[] body = exchange.getRequestBody().readAllBytes();
                int status;
                synchronized (this) {
                    requests.add(new Request(Map.copyOf(exchange.getRequestHeaders()), body));
                    status = this.statuses.isEmpty() ? 200 : this.statuses.poll();
                }
                if (status == SLOW) {
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    status = 200;
                }
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
            });
            server.setExecutor(executor); // a slow answer must not hold up the retry behind it
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/webhook";
        }

        synchronized List<Request> requests() {
            return List.copyOf(requests);
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
