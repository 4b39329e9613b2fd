package io.infrasage.pagerduty.anomaly;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.clickhouse.StateRows;
import io.infrasage.pagerduty.http.InvalidRequestException;
import io.infrasage.pagerduty.inhibition.SymptomInhibition;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.Inhibition;
import io.infrasage.pagerduty.outbox.NewAnomaly;
import io.infrasage.pagerduty.outbox.NewEvent;
import io.infrasage.pagerduty.outbox.PagerDutyDispatcher;
import io.infrasage.pagerduty.outbox.RowSpool;
import org.apache.camel.Exchange;

/**
 * The seed's lifecycle steps 1 and 3: page for an anomaly, and send the resolve when a runbook fixed it. Accepting
 * means durably queued (the local outbox, or Kafka); the answer says what happened: sent, queued, suppressed or duplicate.
 */
public final class AnomalyService {

    private final AnomalyRecords store;
    private final PagerDutyDispatcher dispatcher;
    private final RowSpool spool;
    private final SeverityPolicy severityPolicy;
    private final PageComposer composer;
    private final BundleMetrics metrics;
    private final Duration deliveryWait;
    private final SymptomInhibition inhibition;

    public AnomalyService(AnomalyRecords store, PagerDutyDispatcher dispatcher, RowSpool spool, SeverityPolicy severityPolicy,
                          PageComposer composer, BundleMetrics metrics, Duration deliveryWait) {
        this(store, dispatcher, spool, severityPolicy, composer, metrics, deliveryWait, SymptomInhibition.off());
    }

    public AnomalyService(AnomalyRecords store, PagerDutyDispatcher dispatcher, RowSpool spool, SeverityPolicy severityPolicy,
                          PageComposer composer, BundleMetrics metrics, Duration deliveryWait, SymptomInhibition inhibition) {
        this.inhibition = inhibition;
        this.store = store;
        this.dispatcher = dispatcher;
        this.spool = spool;
        this.severityPolicy = severityPolicy;
        this.composer = composer;
        this.metrics = metrics;
        this.deliveryWait = deliveryWait;
    }

    /** Below the lowest band or the minimum severity: recorded, not paged. A later, higher score of the same id pages. */
    public Map<String, Object> suppress(Anomaly a, Exchange exchange) {
        Instant now = Instant.now();
        String reason = severityPolicy.suppressionReason(a.score());
        spool.spool(List.of(details(StateRows.state(a.anomalyId(), "suppressed-" + now.toEpochMilli(), StateRows.nextVersion(), now,
                                "suppressed"), a, null, List.of()).set("detail", reason).build(),
                        StateRows.audit(now, "suppressed-" + a.anomalyId() + "-" + now.toEpochMilli(), a.anomalyId(), "suppressed",
                                "infrasage", "InfraSage", "bundle").set("detail", reason).build()));
        metrics.anomaly("suppressed");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        Map<String, Object> answer = answer(a.anomalyId(), a.dedupKey(), null, List.of(), "suppressed");
        answer.put("reason", reason);
        return answer;
    }

    /**
     * Queues one trigger per team, atomically with the anomaly's record, unless the anomaly is already known. The
     * triggers are finished here (PageComposer: limits and incident memory), so the outbox holds what will be sent.
     */
    public Map<String, Object> page(Anomaly a, String severity, List<RoutingTarget> targets, Exchange exchange) {
        Instant now = Instant.now();
        PageComposer.Page page = composer.compose(a, severity, targets);
        List<NewEvent> events = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            events.add(new NewEvent(targets.get(i).routingKey(), targets.get(i).team(), "trigger", page.events().get(i)));
        }
        List<Row> rows = new ArrayList<>(List.of(
                details(StateRows.state(a.anomalyId(), "queued", StateRows.nextVersion(), now, "queued"), a, severity, targets).build(),
                StateRows.audit(now, "accepted-" + a.anomalyId(), a.anomalyId(), "page_queued", "infrasage", "InfraSage", "bundle")
                        .set("detail", "severity " + severity + ", teams " + teams(targets)).build()));
        rows.addAll(page.rows());
        if (inhibition.enabled()) {
            return pageUnlessSymptom(a, severity, targets, page, events, rows, now, exchange);
        }
        Optional<List<Long>> queued = store.accept(a.anomalyId(), a.dedupKey(), targets, severity, "queued", events, rows);
        if (queued.isEmpty()) {
            return alreadyKnown(a.anomalyId(), exchange);
        }
        dispatcher.wake();
        String status = dispatcher.outcome(queued.get(), deliveryWait);
        metrics.anomaly(status);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        Map<String, Object> answer = answer(a.anomalyId(), a.dedupKey(), severity, targets, status);
        page.describeIn(answer);
        return answer;
    }

    /**
     * Symptom inhibition: the records decide, in the same write as the accept, whether an open root cause paged within
     * the window names this service in its blast radius. If so, the triggers of the teams that did not opt out are held
     * until that root cause is resolved; the answer, state and audit say "inhibited" and name it.
     */
    private Map<String, Object> pageUnlessSymptom(Anomaly a, String severity, List<RoutingTarget> targets, PageComposer.Page page,
                                                  List<NewEvent> events, List<Row> queuedRows, Instant now, Exchange exchange) {
        List<RoutingTarget> held = inhibition.inhibitable(a.service(), targets);
        List<NewEvent> pagedAnyway = events.stream().filter(e -> held.stream().noneMatch(t -> t.routingKey().equals(e.routingKey()))).toList();
        List<NewEvent> inhibitable = events.stream().filter(e -> !pagedAnyway.contains(e)).toList();
        List<RoutingTarget> pagedNow = targets.stream().filter(t -> !held.contains(t)).toList();
        Optional<Inhibition.Acceptance> accepted = store.acceptOrInhibit(
                new NewAnomaly(a.anomalyId(), a.dedupKey(), a.service(), a.blastRadius() == null ? List.of() : a.blastRadius(), targets, severity),
                inhibition.rootCausesSince(now.toEpochMilli()), pagedAnyway, inhibitable,
                rootCause -> rootCause.isEmpty() ? queuedRows : inhibitedRows(a, severity, targets, held, rootCause.get(), page, now));
        if (accepted.isEmpty()) {
            return alreadyKnown(a.anomalyId(), exchange);
        }
        dispatcher.wake();
        String status = dispatcher.outcome(accepted.get().queued(), deliveryWait);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        if (accepted.get().inhibitedBy().isEmpty()) {
            metrics.anomaly(status);
            Map<String, Object> answer = answer(a.anomalyId(), a.dedupKey(), severity, targets, status);
            page.describeIn(answer);
            return answer;
        }
        String rootCause = accepted.get().inhibitedBy().get();
        metrics.anomaly(Inhibition.INHIBITED);
        store.find(rootCause).ifPresent(r -> inhibition.notes().alsoAffected(rootCause, r.dedupKey(), a.service(), a.anomalyId(), a.score()));
        Map<String, Object> answer = answer(a.anomalyId(), a.dedupKey(), severity, pagedNow, Inhibition.INHIBITED);
        answer.put("inhibited_by", rootCause);
        List<Map<String, String>> heldTeams = new ArrayList<>();
        held.forEach(t -> heldTeams.add(Map.of("team", t.team(), "routing_key", t.maskedKey())));
        answer.put("held_teams", heldTeams);
        page.describeIn(answer);
        return answer;
    }

    private static List<Row> inhibitedRows(Anomaly a, String severity, List<RoutingTarget> targets, List<RoutingTarget> held,
                                           String rootCause, PageComposer.Page page, Instant now) {
        String detail = "symptom of root cause " + rootCause + " (its blast radius names " + a.service() + "): not paged to "
                + teams(held) + " until " + rootCause + " is resolved";
        List<Row> rows = new ArrayList<>(List.of(
                details(StateRows.state(a.anomalyId(), "inhibited", StateRows.nextVersion(), now, Inhibition.INHIBITED), a, severity, targets)
                        .set("detail", detail).build(),
                StateRows.audit(now, "inhibited-" + a.anomalyId(), a.anomalyId(), Inhibition.INHIBITED, "infrasage", "InfraSage", "bundle")
                        .set("detail", detail).build()));
        rows.addAll(page.rows());
        return rows;
    }

    /** A runbook resolved the anomaly: resolve goes to every routing key the trigger went to, never to another. */
    public Map<String, Object> resolve(String anomalyId, Object body, Exchange exchange) {
        RunbookRequest request = RunbookRequest.parse(body, "resolve");
        AnomalyRecord known = store.find(anomalyId).orElseThrow(() -> new InvalidRequestException(404,
                "unknown anomaly", List.of("no page was sent for anomaly '" + anomalyId + "' (never posted, or suppressed)")));
        if (known.resolved()) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
            Map<String, Object> answer = answer(anomalyId, known.dedupKey(), known.severity(), known.targets(), "already_resolved");
            answer.put("resolved_by", known.resolvedBy());
            return answer;
        }
        Instant now = Instant.now();
        List<NewEvent> events = resolveEvents(known);
        List<Row> rows = List.of(
                StateRows.state(anomalyId, "resolve-requested", StateRows.nextVersion(), now, "resolved")
                        .set("resolved_by", request.runbook()).set("resolved_by_kind", "runbook").build(),
                StateRows.audit(now, "resolve-requested-" + anomalyId, anomalyId, "resolve_requested", "runbook", request.runbook(),
                        "bundle").set("actor_id", request.actor()).set("detail", request.note()).build());
        Optional<List<Long>> queued = store.resolve(anomalyId, request.runbook(), events, rows);
        if (queued.isEmpty()) {
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
            return answer(anomalyId, known.dedupKey(), known.severity(), known.targets(), "already_resolved");
        }
        dispatcher.wake();
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        return answer(anomalyId, known.dedupKey(), known.severity(), known.targets(), dispatcher.outcome(queued.get(), deliveryWait));
    }

    /** One resolve per routing key the trigger reached, never another key (PagerDuty would drop it silently). */
    public static List<NewEvent> resolveEvents(AnomalyRecord known) {
        return known.targets().stream()
                .map(t -> new NewEvent(t.routingKey(), t.team(), "resolve",
                        PagerDutyEvents.resolve(known.dedupKey(), t.routingKey()).toString()))
                .toList();
    }

    private Map<String, Object> alreadyKnown(String anomalyId, Exchange exchange) {
        AnomalyRecord known = store.find(anomalyId).orElseThrow();
        if (known.resolved()) {
            metrics.anomaly("already_resolved");
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 409);
            Map<String, Object> answer = answer(anomalyId, known.dedupKey(), known.severity(), known.targets(), "already_resolved");
            answer.put("error", "anomaly '" + anomalyId + "' was already resolved; nobody is paged again for it. "
                    + "Post a new anomaly_id for a new occurrence.");
            return answer;
        }
        metrics.anomaly("duplicate");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        return answer(anomalyId, known.dedupKey(), known.severity(), known.targets(), "duplicate");
    }

    private static Row.Builder details(Row.Builder row, Anomaly a, String severity, List<RoutingTarget> targets) {
        return row.set("service", a.service()).set("environment", a.environment()).set("metric", a.metric())
                .set("severity", severity).set("score", a.score()).set("root_cause", a.rootCause())
                .set("dedup_key", a.dedupKey()).set("teams", teams(targets));
    }

    private static String teams(List<RoutingTarget> targets) {
        return targets.stream().map(RoutingTarget::toString).collect(Collectors.joining(","));
    }

    static Map<String, Object> answer(String anomalyId, String dedupKey, String severity, List<RoutingTarget> targets,
                                              String status) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("anomaly_id", anomalyId);
        m.put("dedup_key", dedupKey);
        m.put("severity", severity);
        List<Map<String, String>> teams = new ArrayList<>();
        targets.forEach(t -> teams.add(Map.of("team", t.team(), "routing_key", t.maskedKey())));
        m.put("teams", teams);
        m.put("status", status);
        return m;
    }
}
