package io.infrasage.pagerduty.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import io.infrasage.pagerduty.http.InvalidRequestException;
import org.junit.jupiter.api.Test;

class WebhookEventTest {

    /** A Webhooks v3 incident.acknowledged delivery, shaped as in PagerDuty's documentation. */
    private static final String ACKNOWLEDGED = """
            {"event": {
              "id": "01DEN4HPBQAAAG05V5QQYBRZMF",
              "event_type": "incident.acknowledged",
              "resource_type": "incident",
              "occurred_at": "2020-10-02T18:45:22.169Z",
              "agent": {"html_url": "https://acme.pagerduty.com/users/PLH1HKV", "id": "PLH1HKV",
                        "self": "https://api.pagerduty.com/users/PLH1HKV", "summary": "Tenex Engineer",
                        "type": "user_reference"},
              "client": {"name": "PagerDuty"},
              "data": {"id": "PGR0VU2", "type": "incident", "number": 2, "status": "acknowledged",
                       "title": "CPU anomaly on payment-api: 87% CPU (score: 0.93)",
                       "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2"}}}
            """;

    /** A Webhooks v3 incident.annotated delivery: data is the note, the incident is nested as a reference. */
    private static final String ANNOTATED = """
            {"event": {
              "id": "01DEN4J1NF0000000000000000",
              "event_type": "incident.annotated",
              "resource_type": "incident",
              "occurred_at": "2020-10-02T20:45:22+02:00",
              "agent": {"id": "PLH1HKV", "summary": "Tenex Engineer", "type": "user_reference"},
              "client": null,
              "data": {"incident": {"html_url": "https://acme.pagerduty.com/incidents/PGR0VU2", "id": "PGR0VU2",
                                    "self": "https://api.pagerduty.com/incidents/PGR0VU2", "summary": "CPU anomaly",
                                    "type": "incident_reference"},
                       "id": "P3NWZ4D", "content": "Raised the pool size to 50", "trimmed": false,
                       "type": "incident_note"}}}
            """;

    private static WebhookEvent parse(String json) {
        return WebhookEvent.parse(json.getBytes(StandardCharsets.UTF_8), "delivery-1");
    }

    private static InvalidRequestException refusal(String json) {
        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class, () -> parse(json));
        assertThat(e).as("refused").isNotNull();
        assertThat(e.status()).isEqualTo(400);
        return e;
    }

    @Test
    void envelopeFieldsAreRead() {
        WebhookEvent e = parse(ACKNOWLEDGED);

        assertThat(e.id()).isEqualTo("01DEN4HPBQAAAG05V5QQYBRZMF");
        assertThat(e.type()).isEqualTo("incident.acknowledged");
        assertThat(e.resourceType()).isEqualTo("incident");
        assertThat(e.occurredAt()).isEqualTo(Instant.parse("2020-10-02T18:45:22.169Z"));
        assertThat(e.deliveryId()).isEqualTo("delivery-1");
    }

    @Test
    void userAgentIsReadWithItsSummaryAsName() {
        WebhookEvent e = parse(ACKNOWLEDGED);

        assertThat(e.agent()).isEqualTo(new WebhookEvent.Agent("PLH1HKV", "Tenex Engineer", "user_reference"));
        assertThat(e.agent().isUser()).isTrue();
        assertThat(e.agentName()).isEqualTo("Tenex Engineer");
    }

    @Test
    void nullAgentMeansPagerDutyItself() {
        WebhookEvent e = parse(ACKNOWLEDGED.replaceFirst("\"agent\": \\{[^}]*}", "\"agent\": null"));

        assertThat(e.agent()).isNull();
        assertThat(e.agentName()).isNull();
    }

    @Test
    void integrationAgentIsNotAUser() {
        WebhookEvent e = parse(ACKNOWLEDGED.replace("user_reference", "inbound_integration_reference"));

        assertThat(e.agent().isUser()).isFalse();
    }

    @Test
    void incidentOfIncidentDataIsTheDataItself() {
        WebhookEvent e = parse(ACKNOWLEDGED);

        assertThat(e.incident()).isSameAs(e.data());
        assertThat(e.incidentId()).isEqualTo("PGR0VU2");
        assertThat(e.incident().path("status").asText()).isEqualTo("acknowledged");
    }

    @Test
    void incidentOfANoteIsTheNestedIncident() {
        WebhookEvent e = parse(ANNOTATED);

        assertThat(e.data().path("type").asText()).isEqualTo("incident_note");
        assertThat(e.incident().path("type").asText()).isEqualTo("incident_reference");
        assertThat(e.incidentId()).isEqualTo("PGR0VU2");
        assertThat(e.data().path("id").asText()).isEqualTo("P3NWZ4D");
    }

    @Test
    void occurredAtWithAnOffsetIsConvertedToAnInstant() {
        assertThat(parse(ANNOTATED).occurredAt()).isEqualTo(Instant.parse("2020-10-02T18:45:22Z"));
    }

    @Test
    void eventWithoutDataHasNoIncident() {
        WebhookEvent e = parse("{\"event\":{\"id\":\"e1\",\"event_type\":\"pagey.ping\",\"occurred_at\":\"2024-01-01T00:00:00Z\"}}");

        assertThat(e.data().isObject()).isTrue();
        assertThat(e.data().size()).isZero();
        assertThat(e.incident()).isNull();
        assertThat(e.incidentId()).isNull();
        assertThat(e.resourceType()).isNull();
    }

    @Test
    void missingEnvelopeIsRefused() {
        assertThat(refusal("{\"id\":\"e1\",\"event_type\":\"incident.triggered\"}").problems())
                .containsExactly("missing the 'event' envelope object");
    }

    @Test
    void envelopeThatIsNotAnObjectIsRefused() {
        assertThat(refusal("{\"event\":\"incident.triggered\"}").problems())
                .containsExactly("missing the 'event' envelope object");
    }

    @Test
    void missingIdEventTypeAndOccurredAtAreAllNamed() {
        InvalidRequestException e = refusal("{\"event\":{\"data\":{}}}");

        assertThat(e.problems()).containsExactly("event.id is missing", "event.event_type is missing",
                "event.occurred_at is missing");
    }

    @Test
    void blankIdIsMissing() {
        assertThat(refusal(ACKNOWLEDGED.replace("01DEN4HPBQAAAG05V5QQYBRZMF", " ")).problems())
                .containsExactly("event.id is missing");
    }

    @Test
    void occurredAtThatIsNotIsoIsRefused() {
        assertThat(refusal(ACKNOWLEDGED.replace("2020-10-02T18:45:22.169Z", "yesterday")).problems())
                .containsExactly("event.occurred_at is not an ISO-8601 time");
    }

    @Test
    void notJsonIsRefused() {
        assertThat(refusal("not json").problems()).singleElement().asString().startsWith("body is not valid JSON (line 1, column ");
    }

    @Test
    void emptyBodyIsRefused() {
        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class,
                () -> WebhookEvent.parse(new byte[0], "d"));

        assertThat(e).isNotNull();
        assertThat(e.status()).isEqualTo(400);
    }
}
