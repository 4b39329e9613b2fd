package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * PagerDuty's alert and incident model, in memory.
 *
 * <p>Every method is synchronized: Vert.x handlers and test threads share one store, and webhooks are published while
 * the lock is held so their queue order is exactly the order in which the changes happened.
 */
final class IncidentStore {

    static final String TRIGGERED = "triggered";
    static final String ACKNOWLEDGED = "acknowledged";
    static final String RESOLVED = "resolved";
    static final Set<String> STATUSES = Set.of(TRIGGERED, ACKNOWLEDGED, RESOLVED);

    /** Receives every incident change that PagerDuty would announce through webhooks. */
    interface Publisher {
        void publish(String eventType, ObjectNode agent, ObjectNode data);
    }

    record Service(String id, String name, String routingKey, String integrationId, Named escalationPolicy) {
    }

    record User(String id, String name) {
    }

    /** Escalation policies and priorities: only an id and a name matter to a client. */
    record Named(String id, String name) {
    }

    record NoteState(String id, User user, String content, Instant createdAt) {
    }

    private record AlertKey(String routingKey, String dedupKey) {
    }

    static final class AlertState {
        final String id;
        final String routingKey;
        final String dedupKey;
        final String summary;
        final String severity;
        final Instant createdAt;
        final JsonNode event;
        String status = TRIGGERED;
        IncidentState incident;
        int deduplicated;

        AlertState(String id, String routingKey, String dedupKey, String summary, String severity, Instant createdAt,
                   JsonNode event, IncidentState incident) {
            this.id = id;
            this.routingKey = routingKey;
            this.dedupKey = dedupKey;
            this.summary = summary;
            this.severity = severity;
            this.createdAt = createdAt;
            this.event = event;
            this.incident = incident;
        }
    }

    static final class IncidentState {
        final String id;
        final int number;
        final String title;
        final String urgency;
        final String incidentKey;
        final Service service;
        final Instant createdAt;
        final List<AlertState> alerts = new ArrayList<>();
        final List<NoteState> notes = new ArrayList<>();
        String status = TRIGGERED;
        Instant lastStatusChangeAt;
        /** PagerDuty's last_status_change_by: the user or integration reference, null when PagerDuty itself did it. */
        ObjectNode lastStatusChangeBy;
        List<User> assignees;
        Named escalationPolicy;
        Named priority;
        ObjectNode resolveReason;

        IncidentState(String id, int number, String title, String urgency, String incidentKey, Service service,
                      Instant createdAt, List<User> assignees) {
            this.id = id;
            this.number = number;
            this.title = title;
            this.urgency = urgency;
            this.incidentKey = incidentKey;
            this.service = service;
            this.createdAt = createdAt;
            this.lastStatusChangeAt = createdAt;
            this.assignees = assignees;
            this.escalationPolicy = service.escalationPolicy();
        }
    }

    private final PagerDutyShapes shapes;
    private final Publisher publisher;
    private final Clock clock;
    private final String defaultAssignee;
    private final Map<String, String> serviceNames;

    private final Map<String, Service> services = new HashMap<>();
    private final Map<String, User> users = new HashMap<>();
    private final Map<String, IncidentState> incidents = new LinkedHashMap<>(); // creation order
    private final Map<AlertKey, AlertState> openAlerts = new HashMap<>();
    /** Change events per routing key (service), oldest first: PagerDuty's "recent changes" of a service. */
    private final Map<String, List<ObjectNode>> changes = new HashMap<>();
    private final Set<String> usedIds = new HashSet<>();
    private int nextNumber = 1;

    IncidentStore(PagerDutyShapes shapes, Publisher publisher, Clock clock, String defaultAssignee,
                  Map<String, String> serviceNames) {
        this.shapes = shapes;
        this.publisher = publisher;
        this.clock = clock;
        this.defaultAssignee = defaultAssignee;
        this.serviceNames = Map.copyOf(serviceNames);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Events API v2. Each returns the ReceivedEvent outcome.

    synchronized String triggerAlert(String routingKey, String dedupKey, ObjectNode event) {
        AlertKey key = new AlertKey(routingKey, dedupKey);
        AlertState open = openAlerts.get(key);
        if (open != null) {
            // Same problem reported again while still open: PagerDuty folds it into the alert and pages nobody.
            open.deduplicated++;
            return ReceivedEvent.DEDUPLICATED;
        }
        Service service = service(routingKey);
        JsonNode payload = event.path("payload");
        String severity = payload.path("severity").asText();
        Instant now = clock.instant();
        String urgency = severity.equals("critical") || severity.equals("error") ? "high" : "low";
        IncidentState incident = new IncidentState(newId("Q", 13), nextNumber++, payload.path("summary").asText(),
                urgency, dedupKey, service, now, List.of(user(defaultAssignee)));
        AlertState alert = new AlertState(newId("Q", 13), routingKey, dedupKey, incident.title, severity, now,
                event.deepCopy(), incident);
        incident.alerts.add(alert);
        incidents.put(incident.id, incident);
        openAlerts.put(key, alert);
        publisher.publish("incident.triggered", shapes.integrationRef(service), shapes.incident(incident));
        return ReceivedEvent.CREATED;
    }

    synchronized String acknowledgeAlert(String routingKey, String dedupKey) {
        // Looking up by (routing key, dedup key) is what makes an ack from another integration a silent no-op.
        AlertState open = openAlerts.get(new AlertKey(routingKey, dedupKey));
        if (open == null) {
            return ReceivedEvent.DROPPED;
        }
        IncidentState incident = open.incident;
        if (incident.status.equals(TRIGGERED)) {
            setStatus(incident, ACKNOWLEDGED, shapes.integrationRef(incident.service));
            publisher.publish("incident.acknowledged", shapes.integrationRef(incident.service), shapes.incident(incident));
        }
        return ReceivedEvent.ACKNOWLEDGED;
    }

    synchronized String resolveAlert(String routingKey, String dedupKey) {
        AlertState open = openAlerts.remove(new AlertKey(routingKey, dedupKey));
        if (open == null) {
            return ReceivedEvent.DROPPED;
        }
        open.status = RESOLVED;
        IncidentState incident = open.incident;
        // An incident that holds merged alerts stays open until the last of them resolves.
        boolean allResolved = incident.alerts.stream().allMatch(a -> a.status.equals(RESOLVED));
        if (allResolved && !incident.status.equals(RESOLVED)) {
            setStatus(incident, RESOLVED, shapes.integrationRef(incident.service));
            publisher.publish("incident.resolved", shapes.integrationRef(incident.service), shapes.incident(incident));
        }
        return ReceivedEvent.RESOLVED;
    }

    /** A change event creates no incident: it is kept on its service and shown in the context of its incidents. */
    synchronized void recordChange(String routingKey, ObjectNode event) {
        service(routingKey);
        changes.computeIfAbsent(routingKey, k -> new ArrayList<>()).add(event.deepCopy());
    }

    /** The change events of the incident's service, as PagerDuty shows them in the incident's context. */
    synchronized Optional<List<ObjectNode>> relatedChangesJson(String incidentId) {
        return Optional.ofNullable(incidents.get(incidentId))
                .map(i -> changes.getOrDefault(i.service.routingKey(), List.of()).stream().map(ObjectNode::deepCopy).toList());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // What responders do in PagerDuty's UI or REST API. Unknown ids: NoSuchElementException; impossible transitions:
    // IllegalStateException; missing names: IllegalArgumentException.

    synchronized Incident acknowledge(String incidentId, String userName) {
        IncidentState incident = open(incidentId, "acknowledge");
        User user = user(userName);
        setStatus(incident, ACKNOWLEDGED, shapes.userRef(user));
        publisher.publish("incident.acknowledged", shapes.userRef(user), shapes.incident(incident));
        return snapshot(incident);
    }

    synchronized Incident unacknowledge(String incidentId) {
        IncidentState incident = find(incidentId);
        if (!incident.status.equals(ACKNOWLEDGED)) {
            throw new IllegalStateException("incident " + incidentId + " is " + incident.status + ", not acknowledged");
        }
        setStatus(incident, TRIGGERED, null);
        // PagerDuty unacknowledges on ack timeout: nobody did it, so there is no agent.
        publisher.publish("incident.unacknowledged", null, shapes.incident(incident));
        return snapshot(incident);
    }

    synchronized Incident resolve(String incidentId, String userName) {
        IncidentState incident = open(incidentId, "resolve");
        User user = user(userName);
        resolveWithAlerts(incident, shapes.userRef(user));
        publisher.publish("incident.resolved", shapes.userRef(user), shapes.incident(incident));
        return snapshot(incident);
    }

    synchronized Incident reopen(String incidentId, String userName) {
        IncidentState incident = find(incidentId);
        if (!incident.status.equals(RESOLVED)) {
            throw new IllegalStateException("incident " + incidentId + " is " + incident.status + ", not resolved");
        }
        User user = user(userName);
        for (AlertState alert : incident.alerts) {
            AlertKey key = new AlertKey(alert.routingKey, alert.dedupKey);
            // Reopened alerts deduplicate new triggers again, unless a newer incident already owns the dedup key.
            if (!openAlerts.containsKey(key)) {
                alert.status = TRIGGERED;
                openAlerts.put(key, alert);
            }
        }
        incident.resolveReason = null;
        setStatus(incident, TRIGGERED, shapes.userRef(user));
        publisher.publish("incident.reopened", shapes.userRef(user), shapes.incident(incident));
        return snapshot(incident);
    }

    synchronized Incident reassign(String incidentId, String userName, String assigneeName) {
        IncidentState incident = open(incidentId, "reassign");
        User user = user(userName);
        incident.assignees = List.of(user(assigneeName));
        publisher.publish("incident.reassigned", shapes.userRef(user), shapes.incident(incident));
        return snapshot(incident);
    }

    synchronized Incident escalate(String incidentId, String userName) {
        IncidentState incident = open(incidentId, "escalate");
        User user = user(userName);
        publisher.publish("incident.escalated", shapes.userRef(user), shapes.incident(incident));
        return snapshot(incident);
    }

    /** Hands the incident to another escalation policy (PagerDuty calls this "delegated"). */
    synchronized Incident delegate(String incidentId, String userName, String escalationPolicyName) {
        IncidentState incident = open(incidentId, "delegate");
        User user = user(userName);
        incident.escalationPolicy = new Named(Ids.derived("PESC", requireName(escalationPolicyName), 6),
                escalationPolicyName);
        publisher.publish("incident.delegated", shapes.userRef(user), shapes.incident(incident));
        return snapshot(incident);
    }

    /** Sets (or with null clears) the priority, e.g. "P1". */
    synchronized Incident setPriority(String incidentId, String userName, String priorityName) {
        IncidentState incident = find(incidentId);
        User user = user(userName);
        incident.priority = priorityName == null ? null : new Named(Ids.derived("PPRI", priorityName, 6), priorityName);
        publisher.publish("incident.priority_updated", shapes.userRef(user), shapes.incident(incident));
        return snapshot(incident);
    }

    synchronized Note annotate(String incidentId, String userName, String content) {
        IncidentState incident = find(incidentId);
        if (content == null || content.isBlank()) {
            throw new IllegalArgumentException("note content is missing or blank");
        }
        NoteState note = new NoteState(newId("P", 6), user(userName), content, clock.instant());
        incident.notes.add(note);
        publisher.publish("incident.annotated", shapes.userRef(note.user()), shapes.annotated(note, incident));
        return toNote(incident, note);
    }

    /** Announces an incident change of any type, e.g. one PagerDuty adds later, without changing the incident. */
    synchronized void emit(String incidentId, String eventType, String agentNameOrNull) {
        IncidentState incident = find(incidentId);
        if (eventType == null || eventType.isBlank()) {
            throw new IllegalArgumentException("event type is missing or blank");
        }
        publisher.publish(eventType, agentNameOrNull == null ? null : shapes.userRef(user(agentNameOrNull)),
                shapes.incident(incident));
    }

    /** Alert grouping: the source's alerts move to the target and the source resolves with a merge reason. */
    synchronized Incident mergeInto(String targetId, String sourceId) {
        IncidentState target = open(targetId, "merge into");
        IncidentState source = open(sourceId, "merge");
        if (target == source) {
            throw new IllegalArgumentException("cannot merge incident " + targetId + " into itself");
        }
        for (AlertState alert : source.alerts) {
            alert.incident = target;
            target.alerts.add(alert);
        }
        source.alerts.clear();
        ObjectNode reason = Json.object();
        reason.put("type", "merge_resolve_reason");
        reason.set("incident", shapes.incidentRef(target));
        source.resolveReason = reason;
        setStatus(source, RESOLVED, null);
        publisher.publish("incident.resolved", null, shapes.incident(source));
        return snapshot(target);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Reads.

    synchronized List<Incident> incidents() {
        return incidents.values().stream().map(this::snapshot).toList();
    }

    synchronized Optional<Incident> incident(String incidentId) {
        return Optional.ofNullable(incidents.get(incidentId)).map(this::snapshot);
    }

    /** Every incident ever opened for this dedup key (any routing key), oldest first. */
    synchronized List<Incident> incidentsByKey(String dedupKey) {
        return incidents.values().stream().filter(i -> i.incidentKey.equals(dedupKey)).map(this::snapshot).toList();
    }

    synchronized List<ObjectNode> incidentsJson(Collection<String> statuses, Collection<String> serviceIds,
                                                String incidentKey) {
        Predicate<IncidentState> wanted = i -> (statuses.isEmpty() || statuses.contains(i.status))
                && (serviceIds.isEmpty() || serviceIds.contains(i.service.id()))
                && (incidentKey == null || incidentKey.equals(i.incidentKey));
        return incidents.values().stream().filter(wanted).map(shapes::incident).toList();
    }

    synchronized Optional<ObjectNode> incidentJson(String incidentId) {
        return Optional.ofNullable(incidents.get(incidentId)).map(shapes::incident);
    }

    synchronized Optional<List<ObjectNode>> notesJson(String incidentId) {
        return Optional.ofNullable(incidents.get(incidentId)).map(i -> i.notes.stream().map(shapes::note).toList());
    }

    synchronized Optional<List<ObjectNode>> alertsJson(String incidentId) {
        return Optional.ofNullable(incidents.get(incidentId)).map(i -> i.alerts.stream().map(shapes::alert).toList());
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** A responder resolving the incident resolves its alerts too, so the next trigger for them pages again. */
    private void resolveWithAlerts(IncidentState incident, ObjectNode by) {
        for (AlertState alert : incident.alerts) {
            alert.status = RESOLVED;
            openAlerts.remove(new AlertKey(alert.routingKey, alert.dedupKey), alert);
        }
        setStatus(incident, RESOLVED, by);
    }

    private void setStatus(IncidentState incident, String status, ObjectNode by) {
        incident.status = status;
        incident.lastStatusChangeAt = clock.instant();
        incident.lastStatusChangeBy = by;
    }

    private IncidentState find(String incidentId) {
        IncidentState incident = incidents.get(incidentId);
        if (incident == null) {
            throw new NoSuchElementException("incident " + incidentId + " not found");
        }
        return incident;
    }

    private IncidentState open(String incidentId, String action) {
        IncidentState incident = find(incidentId);
        if (incident.status.equals(RESOLVED)) {
            throw new IllegalStateException("cannot " + action + " incident " + incidentId + ": it is resolved");
        }
        return incident;
    }

    private Service service(String routingKey) {
        return services.computeIfAbsent(routingKey, key -> {
            String name = serviceNames.getOrDefault(key, "Service " + key.substring(0, Math.min(6, key.length())));
            return new Service(Ids.derived("PSVC", key, 6), name, key, Ids.derived("PINT", key, 6),
                    new Named(Ids.derived("PESC", key, 6), "Default"));
        });
    }

    private User user(String name) {
        return users.computeIfAbsent(requireName(name), n -> new User(Ids.derived("PU", n, 5), n));
    }

    private static String requireName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a user or policy name is required");
        }
        return name;
    }

    private String newId(String prefix, int length) {
        String id;
        do {
            id = Ids.random(prefix, length);
        } while (!usedIds.add(id));
        return id;
    }

    private Incident snapshot(IncidentState i) {
        List<Alert> alerts = i.alerts.stream().map(a -> new Alert(a.id, a.routingKey, a.dedupKey, a.status,
                a.incident.id, a.summary, a.severity, a.createdAt, a.deduplicated, a.event.deepCopy())).toList();
        List<Note> notes = i.notes.stream().map(n -> toNote(i, n)).toList();
        return new Incident(i.id, i.number, i.status, i.title, i.urgency, i.incidentKey, i.service.routingKey(),
                i.service.id(), i.service.name(), i.assignees.stream().map(User::name).toList(),
                i.escalationPolicy.name(), i.priority == null ? null : i.priority.name(),
                i.resolveReason == null ? null : i.resolveReason.deepCopy(), i.createdAt, alerts, notes,
                shapes.incident(i));
    }

    private static Note toNote(IncidentState incident, NoteState note) {
        return new Note(note.id(), incident.id, note.user().name(), note.content(), note.createdAt());
    }
}
