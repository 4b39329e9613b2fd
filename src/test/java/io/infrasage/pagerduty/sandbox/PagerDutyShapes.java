package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.infrasage.pagerduty.sandbox.IncidentStore.AlertState;
import io.infrasage.pagerduty.sandbox.IncidentStore.IncidentState;
import io.infrasage.pagerduty.sandbox.IncidentStore.Named;
import io.infrasage.pagerduty.sandbox.IncidentStore.NoteState;
import io.infrasage.pagerduty.sandbox.IncidentStore.Service;
import io.infrasage.pagerduty.sandbox.IncidentStore.User;

import java.util.function.Supplier;

/**
 * Renders the in-memory model in PagerDuty's JSON shapes (REST API v2 resources, references, webhook v3 data), with
 * every URL pointing back at the sandbox so a client that follows {@code self} links stays on loopback.
 */
final class PagerDutyShapes {

    /** PagerDuty trims note content in incident.annotated webhooks; the full text stays available via REST. */
    static final int WEBHOOK_NOTE_LIMIT = 1000;

    private final Supplier<String> root;

    PagerDutyShapes(Supplier<String> root) {
        this.root = root;
    }

    String incidentUrl(String incidentId) {
        return root.get() + "/incidents/" + incidentId;
    }

    ObjectNode userRef(User user) {
        ObjectNode ref = Json.object();
        ref.put("id", user.id());
        ref.put("summary", user.name());
        ref.put("type", "user_reference");
        ref.put("html_url", root.get() + "/users/" + user.id());
        ref.put("self", root.get() + "/users/" + user.id());
        return ref;
    }

    ObjectNode serviceRef(Service service) {
        ObjectNode ref = Json.object();
        ref.put("id", service.id());
        ref.put("summary", service.name());
        ref.put("type", "service_reference");
        ref.put("html_url", root.get() + "/service-directory/" + service.id());
        ref.put("self", root.get() + "/services/" + service.id());
        return ref;
    }

    /** The agent of changes made through the Events API: the service's "Events API v2" integration. */
    ObjectNode integrationRef(Service service) {
        ObjectNode ref = Json.object();
        ref.put("id", service.integrationId());
        ref.put("type", "inbound_integration_reference");
        ref.put("summary", "Events API v2");
        ref.put("html_url", root.get() + "/services/" + service.id() + "/integrations/" + service.integrationId());
        ref.put("self", root.get() + "/services/" + service.id() + "/integrations/" + service.integrationId());
        return ref;
    }

    ObjectNode escalationPolicyRef(Named policy) {
        ObjectNode ref = Json.object();
        ref.put("id", policy.id());
        ref.put("summary", policy.name());
        ref.put("type", "escalation_policy_reference");
        ref.put("html_url", root.get() + "/escalation_policies/" + policy.id());
        ref.put("self", root.get() + "/escalation_policies/" + policy.id());
        return ref;
    }

    ObjectNode priorityRef(Named priority) {
        ObjectNode ref = Json.object();
        ref.put("id", priority.id());
        ref.put("summary", priority.name());
        ref.put("type", "priority_reference");
        ref.put("self", root.get() + "/priorities/" + priority.id());
        ref.putNull("html_url");
        return ref;
    }

    ObjectNode incidentRef(IncidentState incident) {
        ObjectNode ref = Json.object();
        ref.put("id", incident.id);
        ref.put("type", "incident_reference");
        ref.put("summary", summary(incident));
        ref.put("html_url", incidentUrl(incident.id));
        ref.put("self", incidentUrl(incident.id));
        return ref;
    }

    ObjectNode incident(IncidentState incident) {
        ObjectNode json = Json.object();
        json.put("id", incident.id);
        json.put("type", "incident");
        json.put("summary", summary(incident));
        json.put("self", incidentUrl(incident.id));
        json.put("html_url", incidentUrl(incident.id));
        json.put("number", incident.number);
        json.put("status", incident.status);
        json.put("title", incident.title);
        json.put("urgency", incident.urgency);
        json.put("incident_key", incident.incidentKey);
        json.put("created_at", Json.seconds(incident.createdAt));
        json.put("last_status_change_at", Json.seconds(incident.lastStatusChangeAt));
        // who made the last status change: a user, an integration, or the service itself (timeouts, merges)
        json.set("last_status_change_by", incident.lastStatusChangeBy != null ? incident.lastStatusChangeBy.deepCopy()
                : serviceRef(incident.service));
        json.set("service", serviceRef(incident.service));
        ArrayNode assignees = json.putArray("assignees");
        incident.assignees.forEach(user -> assignees.add(userRef(user)));
        json.set("escalation_policy", escalationPolicyRef(incident.escalationPolicy));
        json.putArray("teams");
        json.set("priority", incident.priority == null ? null : priorityRef(incident.priority));
        json.putNull("conference_bridge");
        json.set("resolve_reason", incident.resolveReason == null ? null : incident.resolveReason.deepCopy());
        ObjectNode counts = json.putObject("alert_counts");
        long triggered = incident.alerts.stream().filter(a -> a.status.equals(IncidentStore.TRIGGERED)).count();
        counts.put("all", incident.alerts.size());
        counts.put("triggered", triggered);
        counts.put("resolved", incident.alerts.size() - triggered);
        return json;
    }

    ObjectNode alert(AlertState alert) {
        ObjectNode json = Json.object();
        json.put("id", alert.id);
        json.put("type", "alert");
        json.put("alert_key", alert.dedupKey);
        json.put("status", alert.status);
        json.put("created_at", Json.seconds(alert.createdAt));
        json.set("service", serviceRef(alert.incident.service));
        json.set("incident", incidentRef(alert.incident));
        json.put("summary", alert.summary);
        json.put("severity", alert.severity);
        return json;
    }

    ObjectNode note(NoteState note) {
        ObjectNode json = Json.object();
        json.put("id", note.id());
        json.set("user", userRef(note.user()));
        json.put("content", note.content());
        json.put("created_at", Json.seconds(note.createdAt()));
        return json;
    }

    /** The {@code data} of an incident.annotated webhook. */
    ObjectNode annotated(NoteState note, IncidentState incident) {
        boolean trimmed = note.content().length() > WEBHOOK_NOTE_LIMIT;
        ObjectNode json = Json.object();
        json.put("type", "incident_note");
        json.put("id", note.id());
        json.put("content", trimmed ? trim(note.content()) : note.content());
        json.put("trimmed", trimmed);
        json.set("incident", incidentRef(incident));
        return json;
    }

    private static String trim(String content) {
        int end = WEBHOOK_NOTE_LIMIT;
        if (Character.isHighSurrogate(content.charAt(end - 1))) {
            end--; // never split an emoji into half a character
        }
        return content.substring(0, end);
    }

    private static String summary(IncidentState incident) {
        return "[#" + incident.number + "] " + incident.title;
    }
}
