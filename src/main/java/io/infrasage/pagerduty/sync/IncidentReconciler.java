package io.infrasage.pagerduty.sync;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.anomaly.Anomaly;
import io.infrasage.pagerduty.anomaly.AnomalyService;
import io.infrasage.pagerduty.clickhouse.PersistenceUnavailableException;
import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.clickhouse.StateQueries;
import io.infrasage.pagerduty.clickhouse.StateRows;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.NewEvent;
import io.infrasage.pagerduty.outbox.Deliveries;
import io.infrasage.pagerduty.rest.BundleServices;
import io.infrasage.pagerduty.rest.PagerDutyApi;
import io.infrasage.pagerduty.sync.SyncDecision.Action;
import io.infrasage.pagerduty.webhook.WebhookEvent;
import io.infrasage.pagerduty.webhook.WebhookHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The self-healing sync (routes/pagerduty-sync.camel.yaml runs it every INFRASAGE_RECONCILE_INTERVAL): compares the
 * incidents PagerDuty lists with the anomalies ClickHouse holds and repairs what went missing on the way, as
 * {@link SyncDecision} decides:
 * <ul>
 *   <li>a runbook's resolve that PagerDuty answered 202 but never applied is queued again through the outbox, to the
 *       trigger's routing keys, audited {@code resolve_resent};</li>
 *   <li>an acknowledge, unacknowledge, resolve or reopen whose webhook never came is written through the webhook path's
 *       own row building ({@link WebhookHandler}), once (under an event id of its own), audited {@code reconciled}.</li>
 * </ul>
 * It spends PagerDuty's REST budget carefully: pages of 100, only of the bundle's own services once they are known,
 * at most {@link #MAX_CALLS_PER_RUN} calls a run and 8 per second of the interval, from the share of the budget
 * reserved for it and verification ({@link io.infrasage.pagerduty.rest.RestBudget}); it stops for this run when that
 * has no room left.
 */
public final class IncidentReconciler {

    private static final Logger LOG = LoggerFactory.getLogger(IncidentReconciler.class);
    private static final String PREFIX = Anomaly.dedupKeyOf("");
    /** PagerDuty's largest page. */
    static final int PAGE = 100;
    /** PagerDuty refuses offset + limit beyond 10,000 (classic pagination). */
    static final int MAX_OFFSET = 10_000 - PAGE;
    /** At most this many REST calls per run (a sixth of the 960 a minute PagerDuty allows a token)... */
    static final int MAX_CALLS_PER_RUN = 150;
    /** ...and, averaged over the interval, at most half of PagerDuty's pace (960 a minute), so short intervals stay light. */
    static final int CALLS_PER_SECOND_OF_INTERVAL = 8;
    /** Enough for one page of incidents, the subscriptions and one more page. */
    static final int MIN_CALLS_PER_RUN = 3;
    /** Anomalies ClickHouse still holds as open are compared when they changed within this window. */
    static final Duration LOOKBACK = Duration.ofDays(7);
    /** A change this recent may still have its webhook on the way (PagerDuty delivers within seconds, or retries). */
    static final Duration MAX_GRACE = Duration.ofSeconds(30);
    private static final int IN_CHUNK = 200;

    private final PagerDutyApi api;
    private final BundleServices services;
    private final StateQueries queries;
    private final WebhookHandler webhooks;
    private final AnomalyRecords records;
    private final Deliveries deliveries;
    private final BundleMetrics metrics;
    private final Duration grace;
    private final int callsPerRun;

    public IncidentReconciler(PagerDutyApi api, BundleServices services, StateQueries queries, WebhookHandler webhooks,
                              AnomalyRecords records, Deliveries deliveries, BundleMetrics metrics, Duration interval) {
        this.api = api;
        this.services = services;
        this.queries = queries;
        this.webhooks = webhooks;
        this.records = records;
        this.deliveries = deliveries;
        this.metrics = metrics;
        Duration half = interval.dividedBy(2);
        this.grace = half.compareTo(MAX_GRACE) < 0 ? half : MAX_GRACE;
        this.callsPerRun = (int) Math.max(MIN_CALLS_PER_RUN, Math.min(MAX_CALLS_PER_RUN, interval.toSeconds() * CALLS_PER_SECOND_OF_INTERVAL));
    }

    /** Another instance has the turn (Kafka mode): nothing to do here. */
    public void standby() {
        metrics.reconcileRun("standby");
    }

    public void reconcile() {
        Run run = new Run();
        try {
            compare(run);
            metrics.reconcileRun("completed");
            if (run.repairs > 0) {
                LOG.info("self-healing sync repaired {} anomal{} ({} REST calls)", run.repairs, run.repairs == 1 ? "y" : "ies", run.calls);
            }
        } catch (OutOfBudget e) {
            metrics.reconcileRun("partial");
            LOG.info("self-healing sync stopped after {} REST calls to spare PagerDuty's rate limit ({}); it continues next run",
                    run.calls, e.getMessage());
        } catch (PagerDutyApi.PagerDutyApiException e) {
            metrics.reconcileRun(e.status() == 429 ? "partial" : "failed");
            LOG.warn("self-healing sync could not read PagerDuty: {}; it tries again next run", e.getMessage());
        } catch (PersistenceUnavailableException e) {
            metrics.reconcileRun("failed");
            LOG.warn("self-healing sync could not read or write ClickHouse: {}; it tries again next run", e.getMessage());
        }
    }

    private void compare(Run run) {
        Instant now = Instant.now();
        Map<String, JsonNode> open = openIncidents(run);
        Map<String, Map<String, Object>> state = new LinkedHashMap<>();
        for (Map<String, Object> row : queries.withStatus(SyncDecision.OPEN, LOOKBACK.toDays())) {
            state.put((String) row.get("anomaly_id"), row);
        }
        List<String> unknown = open.keySet().stream().filter(id -> !state.containsKey(id)).toList();
        for (List<String> chunk : chunks(unknown)) {
            queries.anomalies("anomaly_id IN (" + placeholders(chunk.size()) + ")", chunk)
                    .forEach(row -> state.put((String) row.get("anomaly_id"), row));
        }
        Set<String> resolvedByRunbook = state.values().stream().filter(s -> "runbook".equals(s.get("resolved_by_kind")))
                .map(s -> (String) s.get("anomaly_id")).filter(open::containsKey).collect(Collectors.toSet());
        Map<String, String> resolveDelivered = resolveDelivered(resolvedByRunbook);

        for (Map.Entry<String, JsonNode> e : open.entrySet()) {
            Map<String, Object> s = state.get(e.getKey());
            if (s != null) {
                // an incident of one of the bundle's anomalies: its service is one the routing keys page
                services.learn(e.getValue().path("service").path("id").asText(null));
                repair(run, e.getKey(), e.getValue(), s, resolveDelivered.get(e.getKey()), now);
            }
        }
        // open in ClickHouse, not open in PagerDuty: resolved there (or not there yet); one lookup each, except for
        // triggers still queued in the outbox, which PagerDuty cannot know yet (a backlog must not eat the budget)
        for (Map.Entry<String, Map<String, Object>> e : state.entrySet()) {
            String status = (String) e.getValue().get("status");
            if (open.containsKey(e.getKey()) || !SyncDecision.OPEN.contains(status) || status.equals("queued")) {
                continue;
            }
            JsonNode page = call(run, () -> api.incidents(Map.of("incident_key", List.of(Anomaly.dedupKeyOf(e.getKey())),
                    "date_range", List.of("all"), "limit", List.of(Integer.toString(PAGE)))));
            JsonNode newest = null;
            for (JsonNode incident : page.path("incidents")) {
                newest = incident; // oldest first: a re-trigger after a resolve opens a newer one
            }
            if (newest != null) {
                repair(run, e.getKey(), newest, e.getValue(), null, now);
            }
        }
    }

    private void repair(Run run, String anomalyId, JsonNode incident, Map<String, Object> state, String resolveDeliveredAt,
                        Instant now) {
        SyncDecision.PagerDutySide pd = new SyncDecision.PagerDutySide(incident.path("status").asText(null),
                instant(incident.path("last_status_change_at").asText(null)));
        SyncDecision.ClickHouseSide ch = new SyncDecision.ClickHouseSide((String) state.get("status"),
                (String) state.get("resolved_by_kind"), clickHouseTime(state.get("resolved_at")), clickHouseTime(resolveDeliveredAt));
        Action action = SyncDecision.decide(pd, ch, now, grace);
        switch (action) {
            case NONE -> {
            }
            case RESEND_RESOLVE -> resendResolve(run, anomalyId, incident);
            case WRITE_ACKNOWLEDGED -> writeAsWebhook(run, incident, state, "incident.acknowledged", "acknowledged");
            case WRITE_UNACKNOWLEDGED -> writeAsWebhook(run, incident, state, "incident.unacknowledged", "unacknowledged");
            case WRITE_RESOLVED -> writeAsWebhook(run, incident, state, "incident.resolved", "resolved");
            case WRITE_REOPENED -> writeAsWebhook(run, incident, state, "incident.reopened", "reopened");
        }
    }

    private void resendResolve(Run run, String anomalyId, JsonNode incident) {
        Optional<AnomalyRecord> known = records.find(anomalyId);
        if (known.isEmpty() || known.get().runbook().isEmpty()) {
            return; // this instance's records do not hold it (local mode with another data folder): nothing to resend to
        }
        List<NewEvent> events = AnomalyService.resolveEvents(known.get());
        Instant now = Instant.now();
        String teams = known.get().targets().stream().map(Object::toString).collect(Collectors.joining(","));
        Row audit = StateRows.audit(now, "resolve-resent-" + anomalyId + "-" + now.toEpochMilli(), anomalyId, "resolve_resent",
                        "infrasage", "InfraSage", "reconciler")
                .set("incident_id", incident.path("id").asText(null))
                .set("detail", "PagerDuty answered 202 to the resolve, yet lists incident " + incident.path("id").asText()
                        + " as " + incident.path("status").asText() + ": resolve sent again to " + teams).build();
        if (records.resendResolve(anomalyId, events, List.of(audit)).isPresent()) {
            deliveries.wake();
            metrics.reconcileAction("resolve_resent");
            run.repairs++;
            LOG.warn("resolve of {} lost in PagerDuty (incident {} still {}): sent again to {}", known.get().dedupKey(),
                    incident.path("id").asText(), incident.path("status").asText(), teams);
        }
    }

    /** The rows the webhook would have written, built by the webhook path itself, plus a reconciled audit entry. */
    private void writeAsWebhook(Run run, JsonNode incident, Map<String, Object> state, String eventType, String action) {
        Instant changedAt = Optional.ofNullable(instant(incident.path("last_status_change_at").asText(null))).orElse(Instant.now());
        String incidentId = incident.path("id").asText();
        // PagerDuty's REST times have whole seconds, ClickHouse's rows are ordered by microsecond versions: a change made
        // in the same second as the row it corrects must still sort after it, since it is what PagerDuty says now
        Instant lastRow = clickHouseTime(state.get("updated_at"));
        Instant occurredAt = lastRow != null && !changedAt.isAfter(lastRow) ? lastRow.plusSeconds(1) : changedAt;
        // one id per (incident, change): a second run, or a second instance, finds it written and writes nothing
        WebhookEvent event = new WebhookEvent("reconciled-" + incidentId + "-" + action + "-" + changedAt.getEpochSecond(),
                eventType, "incident", occurredAt, agent(incident.path("last_status_change_by")), withType(incident), null);
        WebhookHandler.Outcome built = switch (action) {
            case "acknowledged" -> webhooks.acknowledged(event);
            case "resolved" -> webhooks.resolved(event);
            default -> webhooks.statusChanged(event);
        };
        List<String> anomalies = built.rows().stream().filter(r -> r.table().equals(StateRows.STATE))
                .map(r -> (String) r.values().get("anomaly_id")).distinct().toList();
        if (anomalies.isEmpty()) {
            return;
        }
        List<Row> rows = new ArrayList<>(built.rows());
        Instant now = Instant.now();
        for (String anomalyId : anomalies) {
            rows.add(StateRows.audit(now, event.id() + "/" + anomalyId, anomalyId, "reconciled", "infrasage", "InfraSage",
                            "reconciler").set("incident_id", incidentId).set("event_type", eventType)
                    .set("detail", "PagerDuty lists incident " + incidentId + " as " + incident.path("status").asText()
                            + " since " + changedAt + "; its " + eventType + " webhook never came (read through the REST API)")
                    .build());
        }
        if (webhooks.writeOnce(new WebhookHandler.Outcome(event, rows, built.effect() + " (reconciled)"))) {
            anomalies.forEach(a -> metrics.reconcileAction(action));
            run.repairs += anomalies.size();
            LOG.warn("{} webhook for incident {} never came: written from PagerDuty's REST API for {}", eventType, incidentId, anomalies);
        }
    }

    // ---- reading ---------------------------------------------------------------------------------------------------

    /**
     * The open (triggered, acknowledged) incidents of InfraSage anomalies, by anomaly id, read page by page: of the
     * bundle's own services once all are known, so other teams' incidents cost no pages.
     */
    private Map<String, JsonNode> openIncidents(Run run) {
        Map<String, JsonNode> open = new LinkedHashMap<>();
        Map<String, List<String>> query = new LinkedHashMap<>();
        query.put("statuses[]", List.of("triggered", "acknowledged"));
        query.put("limit", List.of(Integer.toString(PAGE)));
        services.listingFilter().ifPresent(ids -> query.put("service_ids[]", ids));
        for (int offset = 0; offset <= MAX_OFFSET; offset += PAGE) {
            Map<String, List<String>> pageQuery = new LinkedHashMap<>(query);
            pageQuery.put("offset", List.of(Integer.toString(offset)));
            JsonNode page = call(run, () -> api.incidents(pageQuery));
            page.path("incidents").forEach(i -> {
                String key = i.path("incident_key").asText("");
                if (key.startsWith(PREFIX)) {
                    open.put(key.substring(PREFIX.length()), i);
                }
            });
            if (!page.path("more").asBoolean(false)) {
                break;
            }
        }
        return open;
    }

    /** When PagerDuty last answered 202 to each anomaly's resolve. */
    private Map<String, String> resolveDelivered(Set<String> anomalyIds) {
        Map<String, String> delivered = new LinkedHashMap<>();
        for (List<String> chunk : chunks(List.copyOf(anomalyIds))) {
            delivered.putAll(queries.lastAudited("resolve_delivered", chunk));
        }
        return delivered;
    }

    private interface RestCall {
        JsonNode get();
    }

    /** One REST call within the run's budget and the token's: throws OutOfBudget instead of making it. */
    private JsonNode call(Run run, RestCall call) {
        if (run.calls >= callsPerRun) {
            throw new OutOfBudget(callsPerRun + " calls per run");
        }
        try {
            JsonNode answer = call.get();
            run.calls++;
            return answer;
        } catch (PagerDutyApi.OverBudget e) {
            throw new OutOfBudget(e.getMessage());
        }
    }

    private static final class Run {
        int calls;
        int repairs;
    }

    private static final class OutOfBudget extends RuntimeException {
        OutOfBudget(String why) {
            super(why, null, false, false);
        }
    }

    // ---- shapes ----------------------------------------------------------------------------------------------------

    private static WebhookEvent.Agent agent(JsonNode ref) {
        if (ref == null || !ref.isObject()) {
            return null;
        }
        return new WebhookEvent.Agent(ref.path("id").asText(null), ref.path("summary").asText(null), ref.path("type").asText(null));
    }

    /** The incident as a webhook's data: the REST API's incidents carry type "incident" too, but do not rely on it. */
    private static JsonNode withType(JsonNode incident) {
        if (incident.path("type").asText("").equals("incident")) {
            return incident;
        }
        com.fasterxml.jackson.databind.node.ObjectNode copy = incident.deepCopy();
        copy.put("type", "incident");
        return copy;
    }

    private static Instant instant(String iso) {
        if (iso == null || iso.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(iso).toInstant();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** StateQueries renders times as UTC text "yyyy-MM-dd HH:mm:ss"; an empty one is the epoch or zeros. */
    private static Instant clickHouseTime(Object value) {
        if (value == null || value.toString().startsWith("0000") || value.toString().startsWith("1970")) {
            return null;
        }
        return LocalDateTime.parse(value.toString().replace(' ', 'T')).toInstant(ZoneOffset.UTC);
    }

    private static List<List<String>> chunks(List<String> ids) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += IN_CHUNK) {
            out.add(ids.subList(i, Math.min(ids.size(), i + IN_CHUNK)));
        }
        return out;
    }

    private static String placeholders(int n) {
        return String.join(", ", java.util.Collections.nCopies(n, "?"));
    }
}
