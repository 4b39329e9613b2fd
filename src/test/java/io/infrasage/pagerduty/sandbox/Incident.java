package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.List;

/**
 * Immutable snapshot of an incident at the moment it was read.
 *
 * @param assignees   display names of the current assignees
 * @param priority    priority name, or null
 * @param resolveReason the resolve_reason JSON, or null (set when the incident was merged away)
 * @param json        the incident exactly as the REST API and webhooks render it
 */
public record Incident(String id, int number, String status, String title, String urgency, String incidentKey,
                       String routingKey, String serviceId, String serviceName, List<String> assignees,
                       String escalationPolicy, String priority, ObjectNode resolveReason, Instant createdAt,
                       List<Alert> alerts, List<Note> notes, ObjectNode json) {

    /** A fresh copy of the PagerDuty JSON, safe to modify. */
    public ObjectNode toJson() {
        return json.deepCopy();
    }
}
