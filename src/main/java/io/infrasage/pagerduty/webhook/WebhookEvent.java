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
        if (!problems.isEmpty()) {
            throw InvalidRequestException.badRequest("invalid webhook", problems);
        }
        JsonNode agent = event.get("agent");
        Agent who = agent == null || !agent.isObject() ? null
                : new Agent(text(agent, "id"), text(agent, "summary"), text(agent, "type"));
        return new WebhookEvent(id, type, text(event, "resource_type"), occurredAt, who,
                event.has("data") ? event.get("data") : JSON.createObjectNode(), deliveryId);
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

    public String agentName() {
        return agent == null ? null : agent.name();
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
