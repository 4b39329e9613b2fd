package io.infrasage.pagerduty.webhook;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.anomaly.Anomaly;
import io.infrasage.pagerduty.clickhouse.ClickHouseWriter;
import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.clickhouse.StateQueries;
import io.infrasage.pagerduty.clickhouse.StateRows;
import io.infrasage.pagerduty.http.JsonRequests;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.rest.BundleServices;
import io.infrasage.pagerduty.rest.PagerDutyApi;
import io.infrasage.pagerduty.rest.RestBudget;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed's "Bidirectional Webhook": each event type becomes ClickHouse state rows, audit entries and incident memory.
 * The route chooses the method by event type; each method only builds rows, and persist() writes them exactly once
 * per delivery (2xx only once they are in ClickHouse, 503 when ClickHouse cannot take them, so PagerDuty redelivers).
 * REST reads (an incident's alerts and notes) use the spare share of the REST budget; what it has no room for is
 * deferred ({@link DeferredLookups}) and made by {@link #lookUpDeferred()}, while the webhook is answered at once.
 * Nothing here ever sends to PagerDuty: our own resolves coming back cannot loop.
 */
public final class WebhookHandler {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookHandler.class);
    private static final String PREFIX = "infrasage-";
    /** Leaves PagerDuty's 5 s budget some room for the network. */
    static final Duration PERSIST_TIMEOUT = Duration.ofMillis(4000);

    private final Runnable pendingStateRows;
    private final ClickHouseWriter writer;
    private final StateQueries queries;
    private final AnomalyRecords store;
    private final PagerDutyApi api;
    private final BundleMetrics metrics;
    private final IncidentLinks links;
    private final DeferredLookups deferred;

    /**
     * @param api      PagerDuty's REST API; its spare share is used, so that verification and the sync keep theirs
     * @param services the PagerDuty services the bundle pages: webhooks about others' incidents need no lookup
     * @param pendingStateRows writes the outbound flow's rows still waiting in the local spool, so that ClickHouse has an
     *                         anomaly's facts (service, root cause) when a webhook needs them before the spool's next tick
     */
    public WebhookHandler(ClickHouseWriter writer, StateQueries queries, AnomalyRecords store, PagerDutyApi api,
                          BundleServices services, BundleMetrics metrics, Runnable pendingStateRows) {
        this.pendingStateRows = pendingStateRows;
        this.writer = writer;
        this.queries = queries;
        this.store = store;
        this.api = api.share(RestBudget.Share.SPARE);
        this.metrics = metrics;
        this.links = new IncidentLinks(queries, store, this.api, services);
        this.deferred = new DeferredLookups(metrics);
    }

    /** What one webhook changes: the rows to write, and a word for the answer and the metrics. */
    public record Outcome(WebhookEvent event, List<Row> rows, String effect) {

        /** The anomalies whose rows this webhook writes. */
        public List<String> anomalyIds() {
            return rows.stream().map(r -> r.values().get("anomaly_id")).filter(id -> id instanceof String s && !s.isEmpty())
                    .map(Object::toString).distinct().toList();
        }
    }

    /** Route step after the signature check: the envelope, or 400 naming what is missing. */
    public WebhookEvent parse(Exchange exchange) {
        WebhookEvent event;
        try {
            event = WebhookEvent.parse(exchange.getMessage().getBody(byte[].class),
                    exchange.getMessage().getHeader("X-Webhook-Id", String.class));
        } catch (RuntimeException e) {
            metrics.webhook("unparseable", "invalid");
            throw e;
        }
        exchange.getMessage().setHeader("PagerDutyEventType", event.type());
        return event;
    }

    public Outcome triggered(WebhookEvent e) {
        JsonNode incident = e.incident();
        if (!DeferredLookups.isLater(e)) {
            links.forget(e.incidentId());
        }
        return forEachAnomaly(e, "triggered", (id, rows, build) -> {
            rows.add(state(e, id, "triggered").set("assignees", assignees(incident)).build());
            rows.add(audit(e, id, "triggered", "pagerduty", "PagerDuty").build());
        });
    }

    public Outcome acknowledged(WebhookEvent e) {
        return forEachAnomaly(e, "acknowledged", (id, rows, build) -> {
            rows.add(state(e, id, "acknowledged").set("acknowledged_by", e.agentName())
                    .set("acknowledged_by_id", e.agent() == null ? null : e.agent().id()).build());
            rows.add(audit(e, id, "acknowledged", actorKind(e), e.agentName()).build());
        });
    }

    /** incident.unacknowledged (ack timed out) and incident.reopened: the incident is open and unacknowledged again. */
    public Outcome statusChanged(WebhookEvent e) {
        String action = e.type().substring(e.type().indexOf('.') + 1);
        return forEachAnomaly(e, action, (id, rows, build) -> {
            rows.add(state(e, id, "triggered").build());
            rows.add(audit(e, id, action, actorKind(e), e.agentName()).build());
        });
    }

    /** incident.reassigned, .escalated, .delegated, and the seed's literal incident.assigned: who has it now. */
    public Outcome assigned(WebhookEvent e) {
        String assignees = assignees(e.incident());
        String action = e.type().substring(e.type().indexOf('.') + 1);
        return forEachAnomaly(e, "assigned", (id, rows, build) -> {
            rows.add(state(e, id, null).set("assignees", assignees).build());
            rows.add(audit(e, id, action, actorKind(e), e.agentName()).set("detail", "assignees: " + assignees).build());
        });
    }

    /**
     * Resolved in PagerDuty: by an engineer (a user agent), by the bundle's own runbook resolve coming back (recognised
     * from our record of it), by a merge (not a fix), or by PagerDuty itself. Queued triggers of the anomaly are dropped,
     * and incident memory is written when the incident has notes.
     */
    public Outcome resolved(WebhookEvent e) {
        JsonNode reason = e.incident() == null ? null : e.incident().get("resolve_reason");
        boolean merged = reason != null && "merge_resolve_reason".equals(WebhookEvent.text(reason, "type"));
        if (merged) {
            // this incident's alerts moved into another one: read that one's alerts afresh next time
            links.forget(WebhookEvent.text(reason.path("incident"), "id"));
        }
        return forEachAnomaly(e, merged ? "merged" : "resolved", (id, rows, build) -> {
            Resolver by = resolver(e, id, merged);
            store.resolvedInPagerDuty(id, by.name(), by.kind());
            rows.add(state(e, id, "resolved").set("resolved_by", by.name()).set("resolved_by_kind", by.kind()).build());
            rows.add(audit(e, id, merged ? "merged" : "resolved", by.kind(), by.name())
                    .set("detail", by.kind().equals("runbook") ? "resolved by runbook " + by.name() + " via InfraSage" : null).build());
            if (!merged) {
                memory(build, id, e.incidentId(), by.name(), e.occurredAt(), null).ifPresent(rows::add);
            }
        });
    }

    /** A note: kept whole (fetched in full when PagerDuty trimmed it); for a resolved incident, memory is (re)written. */
    public Outcome annotated(WebhookEvent e) {
        JsonNode note = e.data();
        String incidentId = e.incidentId();
        return forEachAnomaly(e, "annotated", (id, rows, build) -> {
            String content = build.fullContent(note);
            rows.add(Row.into(StateRows.NOTES).set("incident_id", incidentId).set("note_id", noteId(e)).set("anomaly_id", id)
                    .set("content", content).set("trimmed", note.path("trimmed").asBoolean(false) && content.equals(
                            WebhookEvent.text(note, "content")) ? 1 : 0)
                    .set("author_id", e.agent() == null ? null : e.agent().id()).set("author", e.agentName())
                    .set("created_at", e.occurredAt()).set("version", StateRows.versionAt(e.occurredAt())).build());
            rows.add(audit(e, id, "annotated", actorKind(e), e.agentName()).set("detail", abbreviate(content)).build());
            Optional<Map<String, Object>> state = queries.anomaly(id);
            if (state.isPresent() && "resolved".equals(state.get().get("status"))) {
                memory(build, id, incidentId, (String) state.get().get("resolved_by"), resolvedAt(state.get(), e),
                        new NoteText(noteId(e), content, e.agentName())).ifPresent(rows::add);
            }
        });
    }

    /** Any other type, including ones PagerDuty adds later: audited, answered 2xx (a 4xx would get us disabled). */
    public Outcome other(WebhookEvent e) {
        return forEachAnomaly(e, "recorded", (id, rows, build) -> rows.add(audit(e, id, e.type(), actorKind(e), e.agentName()).build()));
    }

    /** Final route step: writes the rows and the delivery record exactly once, and answers. */
    public Map<String, Object> persist(Outcome o, Exchange exchange) {
        WebhookEvent e = o.event();
        boolean written;
        try {
            written = writeOnce(o);
        } catch (RuntimeException ex) {
            metrics.webhook(e.type(), "unavailable");
            throw ex;
        }
        metrics.webhook(e.type(), written ? "processed" : "duplicate");
        JsonRequests.onlyAnswerHeaders(exchange);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("status", written ? "processed" : "duplicate");
        answer.put("event_id", e.id());
        answer.put("event_type", e.type());
        answer.put("effect", o.effect());
        return answer;
    }

    /**
     * Writes an outcome's rows with its delivery record, once per event id: false when that event was written before.
     * The self-healing sync writes the changes of webhooks that never came through here too, under ids of its own.
     */
    public boolean writeOnce(Outcome o) {
        WebhookEvent e = o.event();
        List<Row> rows = new ArrayList<>(o.rows());
        rows.add(Row.into(StateRows.DELIVERIES).set("event_id", e.id()).set("webhook_id", e.deliveryId())
                .set("event_type", e.type()).set("incident_id", e.incidentId()).set("outcome", o.effect())
                .set("received_at", Instant.now()).build());
        return writer.writeOnce(e.id(), rows, PERSIST_TIMEOUT);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private interface RowsFor {
        void add(String anomalyId, List<Row> rows, Build build);
    }

    /** Builds rows for each InfraSage anomaly of the incident; a foreign incident only gets an audit entry. */
    private Outcome forEachAnomaly(WebhookEvent e, String effect, RowsFor rowsFor) {
        List<Row> rows = new ArrayList<>();
        IncidentLinks.Link link = links.link(e);
        Build build = new Build(e);
        String done = effect;
        if (link.anomalies().isEmpty()) {
            String key = e.incident() == null ? null : WebhookEvent.text(e.incident(), "incident_key");
            rows.add(audit(e, "", e.type(), actorKind(e), e.agentName()).set("detail", link.lookupDeferred()
                    ? "its alerts are read once the REST budget has room" : key != null && key.startsWith(PREFIX)
                    ? "incident key names no anomaly this bundle paged" : "not an InfraSage incident").build());
            done = "audited (not an InfraSage incident)";
        }
        for (String id : link.anomalies()) {
            rowsFor.add(id, rows, build);
        }
        if (link.lookupDeferred() || build.notesDeferred) {
            deferred.add(e, link.anomalies(), link.lookupDeferred(), build.notesDeferred);
            done += "; REST lookup deferred";
        }
        return new Outcome(e, rows, done);
    }

    /**
     * Route step of pagerduty-webhook-lookups (a timer): each deferred lookup in turn, oldest first. One that needs a
     * REST call waits while the spare share of the budget has no room; one the bundle can now answer without (its
     * incident turned out to be another service's) is completed at once. Rows they add are written under the
     * webhook's id prefixed "deferred-", once.
     */
    public void lookUpDeferred() {
        for (int n = deferred.size(); n > 0; n--) {
            DeferredLookups.Item item = deferred.next();
            if (item == null) {
                return;
            }
            boolean completed = false;
            if (!(item.notes() || item.links() && links.mayNeedLookup(item.event())) || api.budget().allows(RestBudget.Share.SPARE)) {
                try {
                    completed = complete(item);
                } catch (RuntimeException ex) {
                    LOG.warn("deferred lookup of incident {} not made yet: {}", item.event().incidentId(), ex.getMessage());
                }
            }
            if (completed) {
                metrics.webhookLookup("completed");
            } else {
                deferred.again(item);
            }
        }
    }

    /** Webhooks whose REST lookups wait for budget. */
    public int deferredLookups() {
        return deferred.size();
    }

    /** Makes a deferred lookup and writes what it adds; false when it still has to wait. */
    private boolean complete(DeferredLookups.Item item) {
        WebhookEvent e = item.event();
        Set<String> found = Set.of();
        if (item.links()) {
            IncidentLinks.Link link = links.link(e);
            if (link.lookupDeferred()) {
                return false;
            }
            found = link.anomalies().stream().filter(id -> !item.written().contains(id)).collect(Collectors.toSet());
        }
        if (found.isEmpty() && !item.notes()) {
            return true; // the incident holds none of the bundle's anomalies beyond those written
        }
        WebhookEvent later = e.withId(DeferredLookups.EVENT_ID_PREFIX + e.id());
        long now = StateRows.versionAt(Instant.now());
        List<Row> rows = new ArrayList<>();
        for (Row r : outcomeFor(later).rows()) {
            Object anomaly = r.values().get("anomaly_id");
            if (found.contains(anomaly)) {
                rows.add(r);
            } else if (item.notes() && item.written().contains(anomaly)
                    && (r.table().equals(StateRows.NOTES) || r.table().equals(StateRows.MEMORY))) {
                // the notes read in full now replace what the webhook could write without them
                Map<String, Object> values = new LinkedHashMap<>(r.values());
                values.put("version", now);
                rows.add(new Row(r.table(), Map.copyOf(values)));
            }
        }
        if (!rows.isEmpty()) {
            writeOnce(new Outcome(later, rows, "completed after a deferred REST lookup"));
        }
        return true;
    }

    /** The route's choice by event type (routes/pagerduty-webhook.camel.yaml), for a webhook completed later. */
    private Outcome outcomeFor(WebhookEvent e) {
        return switch (e.type()) {
            case "incident.triggered" -> triggered(e);
            case "incident.acknowledged" -> acknowledged(e);
            case "incident.unacknowledged", "incident.reopened" -> statusChanged(e);
            case "incident.reassigned", "incident.escalated", "incident.delegated", "incident.assigned" -> assigned(e);
            case "incident.resolved" -> resolved(e);
            case "incident.annotated" -> annotated(e);
            default -> other(e);
        };
    }

    /**
     * One webhook's REST reads of its incident's notes, made at most once for all its anomalies, and whether the budget
     * had no room for them (then they are deferred and the rows use what the webhooks brought).
     */
    private final class Build {
        private final WebhookEvent event;
        private List<JsonNode> notes;
        private boolean notesRead;
        boolean notesDeferred;
        private String content;

        Build(WebhookEvent event) {
            this.event = event;
        }

        /** The incident's notes from the REST API, or null when they cannot be read now. */
        List<JsonNode> notes() {
            if (!notesRead && api.enabled()) {
                notesRead = true;
                try {
                    notes = api.notes(event.incidentId());
                } catch (PagerDutyApi.OverBudget ex) {
                    notesDeferred = true;
                } catch (PagerDutyApi.PagerDutyApiException ex) {
                    LOG.warn("could not read the notes of incident {} ({}); using the notes received by webhook",
                            event.incidentId(), ex.getMessage());
                }
            }
            return notes;
        }

        /** A note's whole text: PagerDuty trims long ones in webhooks, the REST API has them in full. */
        String fullContent(JsonNode note) {
            if (content == null) {
                content = WebhookEvent.text(note, "content");
                if (content == null) {
                    content = "";
                }
                if (note.path("trimmed").asBoolean(false) && notes() != null) {
                    String noteId = WebhookEvent.text(note, "id");
                    for (JsonNode n : notes) {
                        if (noteId != null && noteId.equals(WebhookEvent.text(n, "id"))) {
                            content = WebhookEvent.text(n, "content");
                        }
                    }
                }
            }
            return content;
        }
    }

    private record Resolver(String kind, String name) {
    }

    private Resolver resolver(WebhookEvent e, String anomalyId, boolean merged) {
        if (merged) {
            return new Resolver("merged", e.agentName() == null ? "PagerDuty" : e.agentName());
        }
        if (e.agent() != null && e.agent().isUser()) {
            return new Resolver("engineer", e.agentName());
        }
        // not a person: our own resolve coming back, if we sent one for this anomaly
        Optional<String> runbook = store.find(anomalyId).flatMap(AnomalyRecord::runbook).filter(r -> !r.isBlank());
        if (runbook.isEmpty()) {
            runbook = queries.anomaly(anomalyId).filter(s -> "runbook".equals(s.get("resolved_by_kind")))
                    .map(s -> (String) s.get("resolved_by"));
        }
        return runbook.map(r -> new Resolver("runbook", r))
                .orElseGet(() -> new Resolver("pagerduty", e.agentName() == null ? "PagerDuty" : e.agentName()));
    }

    private record NoteText(String id, String content, String author) {
    }

    /** Incident memory for future RCA: the anomaly, its root cause and every note of the incident, or nothing without notes. */
    private Optional<Row> memory(Build build, String anomalyId, String incidentId, String resolvedBy, Instant resolvedAt,
                                 NoteText arriving) {
        Map<String, NoteText> notes = new LinkedHashMap<>();
        List<JsonNode> fromRest = build.notes();
        if (fromRest != null) {
            for (JsonNode n : fromRest) {
                notes.put(WebhookEvent.text(n, "id"), new NoteText(WebhookEvent.text(n, "id"), WebhookEvent.text(n, "content"),
                        WebhookEvent.text(n.path("user"), "summary")));
            }
        }
        for (Map<String, Object> n : queries.notes(incidentId)) {
            notes.putIfAbsent((String) n.get("note_id"), new NoteText((String) n.get("note_id"), (String) n.get("content"),
                    (String) n.get("author")));
        }
        if (arriving != null) {
            notes.putIfAbsent(arriving.id(), arriving);
        }
        if (notes.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Object> anomaly = queries.anomaly(anomalyId).filter(WebhookHandler::hasFacts).orElse(null);
        if (anomaly == null) {
            // paged moments ago: its facts may still wait in the local spool
            pendingStateRows.run();
            anomaly = queries.anomaly(anomalyId).orElse(Map.of());
        }
        String text = notes.values().stream()
                .map(n -> (n.author() == null ? "" : n.author() + ": ") + n.content())
                .collect(Collectors.joining("\n---\n"));
        return Optional.of(Row.into(StateRows.MEMORY).set("anomaly_id", anomalyId).set("incident_id", incidentId)
                .set("version", StateRows.versionAt(build.event.occurredAt())).set("service", anomaly.get("service"))
                .set("root_cause", anomaly.get("root_cause")).set("notes", text).set("note_count", notes.size())
                .set("resolved_by", resolvedBy).set("resolved_at", resolvedAt).set("written_at", Instant.now()).build());
    }

    private static boolean hasFacts(Map<String, Object> anomaly) {
        return anomaly.get("service") instanceof String service && !service.isEmpty();
    }

    private static String noteId(WebhookEvent e) {
        String id = WebhookEvent.text(e.data(), "id");
        return id == null ? e.id() : id;
    }

    private static Instant resolvedAt(Map<String, Object> state, WebhookEvent e) {
        Object at = state.get("resolved_at");
        if (at == null || at.toString().startsWith("0000") || at.toString().startsWith("1970")) {
            return e.occurredAt();
        }
        return java.time.LocalDateTime.parse(at.toString().replace(' ', 'T')).toInstant(java.time.ZoneOffset.UTC);
    }

    private static Row.Builder state(WebhookEvent e, String anomalyId, String status) {
        JsonNode incident = e.incident();
        Row.Builder row = StateRows.state(anomalyId, e.id(), StateRows.versionAt(e.occurredAt()), e.occurredAt(), status)
                .set("dedup_key", Anomaly.dedupKeyOf(anomalyId)).set("incident_id", e.incidentId());
        if (incident != null) {
            row.set("incident_url", WebhookEvent.text(incident, "html_url"));
            if (incident.hasNonNull("number")) {
                row.set("incident_number", incident.get("number").asLong());
            }
        }
        return row;
    }

    private static Row.Builder audit(WebhookEvent e, String anomalyId, String action, String actorKind, String actorName) {
        return StateRows.audit(e.occurredAt(), anomalyId.isEmpty() ? e.id() : e.id() + "/" + anomalyId, anomalyId, action,
                        actorKind, actorName, "webhook")
                .set("incident_id", e.incidentId()).set("event_type", e.type())
                .set("actor_id", e.agent() == null ? null : e.agent().id());
    }

    private static String actorKind(WebhookEvent e) {
        if (e.agent() == null) {
            return "pagerduty";
        }
        return e.agent().isUser() ? "engineer" : "integration";
    }

    private static String assignees(JsonNode incident) {
        if (incident == null || !incident.path("assignees").isArray()) {
            return null;
        }
        List<String> names = new ArrayList<>();
        incident.get("assignees").forEach(a -> names.add(WebhookEvent.name(a.path("summary").asText(a.path("id").asText()))));
        return String.join(", ", names);
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 199) + "…";
    }
}
