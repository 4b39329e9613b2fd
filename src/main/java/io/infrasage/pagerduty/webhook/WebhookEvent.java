package io.infrasage.pagerduty.webhook;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.http.InvalidRequestException;
import io.infrasage.pagerduty.http.StrictJson;

/**
 * One Webhooks v3 envelope: {"event": {"id", "event_type", "resource_type", "occurred_at", "agent", "client", "data"}}.
 * Only the envelope is required; what is inside data depends on the event type and is read where it is used.
 */
public record WebhookEvent(String id, String type, String resourceType, Instant occurredAt, Agent agent, JsonNode data,
                           String deliveryId) {

    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Bounds of what a signed webhook may carry, so a holder of the secret (or a bug) cannot store a 100,000-character
     * event type as an audit action. PagerDuty's ids are 7 to 36 characters and its event types are dotted lower-case
     * words ("incident.conference_bridge.updated"); incident keys are dedup keys, 255 characters at most. Names are
     * people's and integrations' display names: cut, not refused, as they are only shown.
     */
    static final int MAX_ID = 128;
    static final int MAX_EVENT_TYPE = 100;
    static final int MAX_INCIDENT_KEY = 255;
    static final int MAX_NAME = 256;
    private static final java.util.regex.Pattern EVENT_TYPE = java.util.regex.Pattern.compile("[a-z0-9_]+(\\.[a-z0-9_]+)+");

    /** Who acted: a user (type user_reference), an integration, or null for PagerDuty itself. */
    public record Agent(String id, String name, String type) {
        public boolean isUser() {
            return "user_reference".equals(type);
        }
    }

    public static WebhookEvent parse(byte[] body, String deliveryId) {
        JsonNode root = StrictJson.read(body, "invalid webhook");
        JsonNode event = root == null ? null : root.get("event");
        if (event == null || !event.isObject()) {
            throw InvalidRequestException.badRequest("invalid webhook", List.of("missing the 'event' envelope object"));
        }
        List<String> problems = new ArrayList<>();
        String id = text(event, "id");
        String type = text(event, "event_type");
        String occurred = text(event, "occurred_at");
        if (id == null || id.isBlank()) {
            problems.add("event.id is missing");
        }
        if (type == null || type.isBlank()) {
            problems.add("event.event_type is missing");
        }
        Instant occurredAt = null;
        if (occurred == null) {
            problems.add("event.occurred_at is missing");
        } else {
            try {
                occurredAt = OffsetDateTime.parse(occurred).toInstant();
            } catch (DateTimeParseException e) {
                problems.add("event.occurred_at is not an ISO-8601 time");
            }
        }
        bounded(problems, "event.id", id, MAX_ID);
        if (type != null && !type.isBlank() && (type.length() > MAX_EVENT_TYPE || !EVENT_TYPE.matcher(type).matches())) {
            problems.add("event.event_type must be dotted lower-case words of at most " + MAX_EVENT_TYPE + " characters");
        }
        bounded(problems, "event.resource_type", text(event, "resource_type"), MAX_EVENT_TYPE);
        JsonNode agent = event.get("agent");
        if (agent != null && agent.isObject()) {
            bounded(problems, "event.agent.id", text(agent, "id"), MAX_ID);
            bounded(problems, "event.agent.type", text(agent, "type"), MAX_ID);
        }
        JsonNode data = event.has("data") ? event.get("data") : JSON.createObjectNode();
        WebhookEvent parsed = new WebhookEvent(id, type, text(event, "resource_type"), occurredAt,
                agent == null || !agent.isObject() ? null : new Agent(text(agent, "id"), name(text(agent, "summary")), text(agent, "type")),
                data, deliveryId);
        JsonNode incident = parsed.incident();
        if (incident != null) {
            bounded(problems, "the incident's id", text(incident, "id"), MAX_ID);
            bounded(problems, "the incident's incident_key", text(incident, "incident_key"), MAX_INCIDENT_KEY);
        }
        if (!problems.isEmpty()) {
            throw InvalidRequestException.badRequest("invalid webhook", problems);
        }
        return parsed;
    }

    private static void bounded(List<String> problems, String field, String value, int max) {
        if (value != null && value.length() > max) {
            problems.add(field + " is longer than " + max + " characters");
        }
    }

    /** A display name as stored and shown: at most MAX_NAME characters. */
    public static String name(String name) {
        return name == null || name.length() <= MAX_NAME ? name : name.substring(0, MAX_NAME - 1) + "…";
    }

    /** The incident this event is about: data itself for incident data, data.incident for notes and the like. */
    public JsonNode incident() {
        if ("incident".equals(text(data, "type"))) {
            return data;
        }
        JsonNode nested = data.get("incident");
        return nested != null && nested.isObject() ? nested : null;
    }

    public String incidentId() {
        JsonNode incident = incident();
        return incident == null ? null : text(incident, "id");
    }

    /** The same event under another id: what the bundle writes for it later is recorded once under that id. */
    public WebhookEvent withId(String otherId) {
        return new WebhookEvent(otherId, type, resourceType, occurredAt, agent, data, deliveryId);
    }

    public String agentName() {
        return agent == null ? null : agent.name();
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
