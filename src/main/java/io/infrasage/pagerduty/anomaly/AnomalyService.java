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
import io.infrasage.pagerduty.outbox.AcceptOutcome;
import io.infrasage.pagerduty.outbox.AcceptRequest;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.Inhibition;
import io.infrasage.pagerduty.outbox.NewAnomaly;
import io.infrasage.pagerduty.outbox.NewEvent;
import io.infrasage.pagerduty.outbox.Deliveries;
import io.infrasage.pagerduty.outbox.RowSpool;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;

/**
 * The seed's lifecycle steps 1 and 3: page for an anomaly, and send the resolve when a runbook fixed it. Accepting
 * means durably queued (the local outbox, or Kafka); the answer says what happened: sent, queued, suppressed or duplicate.
 */
public final class AnomalyService {

    private final AnomalyRecords store;
    private final Deliveries deliveries;
    private final RowSpool spool;
    private final SeverityPolicy severityPolicy;
    private final PageComposer composer;
    private final BundleMetrics metrics;
    private final Duration deliveryWait;
    private final SymptomInhibition inhibition;

    public AnomalyService(AnomalyRecords store, Deliveries deliveries, RowSpool spool, SeverityPolicy severityPolicy,
                          PageComposer composer, BundleMetrics metrics, Duration deliveryWait) {
        this(store, deliveries, spool, severityPolicy, composer, metrics, deliveryWait, SymptomInhibition.off());
    }

    public AnomalyService(AnomalyRecords store, Deliveries deliveries, RowSpool spool, SeverityPolicy severityPolicy,
                          PageComposer composer, BundleMetrics metrics, Duration deliveryWait, SymptomInhibition inhibition) {
        this.inhibition = inhibition;
        this.store = store;
        this.deliveries = deliveries;
        this.spool = spool;
        this.severityPolicy = severityPolicy;
        this.composer = composer;
        this.metrics = metrics;
        this.deliveryWait = deliveryWait;
    }

    /** What the single POST answers for one anomaly: its HTTP status and body, and the refusal it was when refused. */
    public record Answer(int status, Map<String, Object> body, InvalidRequestException refusal) {
        public Answer(int status, Map<String, Object> body) {
            this(status, body, null);
        }

        /** The single POST's error answer: {"error", "problems"}, with the anomaly_id when there is one. */
        static Answer of(Decision.Refused r) {
            Map<String, Object> body = new LinkedHashMap<>();
            if (r.anomalyId() != null) {
                body.put("anomaly_id", r.anomalyId());
            }
            body.put("error", r.refusal().error());
            body.put("problems", r.refusal().problems());
            return new Answer(r.refusal().status(), body, r.refusal());
        }
    }

    /** A suppressed anomaly: the rows that record it, and its answer. */
    public record Suppression(List<Row> rows, Answer answer) {
    }

    /**
     * A trigger (or several) ready to be accepted: what the records are asked to write, and what the answer needs once
     * they decided. The triggers are finished here (PageComposer: limits and incident memory), so the outbox holds what
     * will be sent.
     */
    public record Pending(Anomaly anomaly, String severity, List<RoutingTarget> targets, List<RoutingTarget> held,
                          PageComposer.Page page, AcceptRequest request) {
    }

    /** Below the lowest band or the minimum severity: recorded, not paged. A later, higher score of the same id pages. */
    public Decision suppressed(@Body Anomaly a) {
        return new Decision.Suppressed(suppression(a));
    }

    public Suppression suppression(Anomaly a) {
        Instant now = Instant.now();
        String reason = severityPolicy.suppressionReason(a.score());
        List<Row> rows = List.of(details(StateRows.state(a.anomalyId(), "suppressed-" + now.toEpochMilli(), StateRows.nextVersion(), now,
                        "suppressed"), a, null, List.of()).set("detail", reason).build(),
                StateRows.audit(now, "suppressed-" + a.anomalyId() + "-" + now.toEpochMilli(), a.anomalyId(), "suppressed",
                        "infrasage", "InfraSage", "bundle").set("detail", reason).build());
        Map<String, Object> answer = answer(a.anomalyId(), a.dedupKey(), null, List.of(), "suppressed");
        answer.put("reason", reason);
        return new Suppression(rows, new Answer(202, answer));
    }

    /**
     * One trigger per team, to be queued atomically with the anomaly's record unless the anomaly is already known.
     * {@code inhibitable}: the teams an open root cause may hold back (the route's symptom-inhibition step).
     */
    public Decision paging(@Body Anomaly a, @Header("severity") String severity, @Header("teams") List<RoutingTarget> targets,
                           @Header("inhibitable") List<RoutingTarget> inhibitable) {
        return new Decision.Paging(pending(a, severity, targets, inhibitable == null ? List.of() : inhibitable));
    }

    /**
     * Queues what the decisions of one post ask for in one durable write (a single anomaly or a whole batch), and
     * answers each in the order given.
     */
    public List<Answer> queue(@Body List<Decision> decisions) {
        List<Pending> pending = new ArrayList<>();
        List<Suppression> suppressed = new ArrayList<>();
        for (Decision d : decisions) {
            if (d instanceof Decision.Paging p) {
                pending.add(p.pending());
            } else if (d instanceof Decision.Suppressed s) {
                suppressed.add(s.suppression());
            }
        }
        List<Answer> accepted = acceptAll(pending, suppressed);
        List<Answer> answers = new ArrayList<>(decisions.size());
        int next = 0;
        for (Decision d : decisions) {
            if (d instanceof Decision.Paging) {
                answers.add(accepted.get(next++));
            } else if (d instanceof Decision.Suppressed s) {
                answers.add(s.suppression().answer());
            } else {
                answers.add(Answer.of((Decision.Refused) d));
            }
        }
        return answers;
    }

    /**
     * The triggers of an anomaly and its rows. With symptom inhibition the records decide, in the same write as the
     * accept, whether an open root cause paged within the window names this service in its blast radius. If so, the
     * triggers of the teams that did not opt out are held until that root cause is resolved; the answer, state and
     * audit say "inhibited" and name it.
     */
    public Pending pending(Anomaly a, String severity, List<RoutingTarget> targets, List<RoutingTarget> held) {
        Instant now = Instant.now();
        PageComposer.Page page = composer.compose(a, severity, targets);
        List<NewEvent> events = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            events.add(new NewEvent(targets.get(i).routingKey(), targets.get(i).team(), "trigger", page.events().get(i)));
        }
        List<Row> queuedRows = new ArrayList<>(List.of(
                details(StateRows.state(a.anomalyId(), "queued", StateRows.nextVersion(), now, "queued"), a, severity, targets).build(),
                StateRows.audit(now, "accepted-" + a.anomalyId(), a.anomalyId(), "page_queued", "infrasage", "InfraSage", "bundle")
                        .set("detail", "severity " + severity + ", teams " + teams(targets)).build()));
        queuedRows.addAll(page.rows());
        NewAnomaly record = new NewAnomaly(a.anomalyId(), a.dedupKey(), a.service(),
                a.blastRadius() == null ? List.of() : a.blastRadius(), targets, severity);
        if (!inhibition.enabled()) {
            return new Pending(a, severity, targets, List.of(), page, AcceptRequest.paging(record, events, queuedRows));
        }
        List<NewEvent> pagedAnyway = events.stream().filter(e -> held.stream().noneMatch(t -> t.routingKey().equals(e.routingKey()))).toList();
        List<NewEvent> inhibitable = events.stream().filter(e -> !pagedAnyway.contains(e)).toList();
        return new Pending(a, severity, targets, held, page, new AcceptRequest(record, inhibition.rootCausesSince(now.toEpochMilli()),
                pagedAnyway, inhibitable,
                rootCause -> rootCause.isEmpty() ? queuedRows : inhibitedRows(a, severity, targets, held, rootCause.get(), page, now)));
    }

    /**
     * Accepts the anomalies, and records the suppressed ones, in one durable write of the records (one commit for a
     * whole batch), then answers each as the single POST would: queued (or sent), inhibited, duplicate, or 409
     * already_resolved.
     */
    public List<Answer> acceptAll(List<Pending> pending, List<Suppression> suppressed) {
        List<Row> unpagedRows = suppressed.stream().flatMap(s -> s.rows().stream()).toList();
        List<AcceptOutcome> outcomes = pending.isEmpty() && unpagedRows.isEmpty() ? List.of()
                : store.acceptAll(pending.stream().map(Pending::request).toList(), unpagedRows);
        suppressed.forEach(s -> metrics.anomaly("suppressed"));
        if (outcomes.stream().anyMatch(o -> o.accepted().isPresent())) {
            deliveries.wake();
        }
        // one delivery wait for the whole batch, not one per item: with PagerDuty down a batch would wait items x wait
        long waitUntil = System.nanoTime() + deliveryWait.toNanos();
        List<Answer> answers = new ArrayList<>(pending.size());
        for (int i = 0; i < pending.size(); i++) {
            Duration wait = Duration.ofNanos(Math.max(0, waitUntil - System.nanoTime()));
            answers.add(answerFor(pending.get(i), outcomes.get(i), wait));
        }
        return answers;
    }

    private Answer answerFor(Pending p, AcceptOutcome outcome, Duration wait) {
        Anomaly a = p.anomaly();
        if (outcome.known().isPresent()) {
            return alreadyKnown(outcome.known().get());
        }
        Inhibition.Acceptance accepted = outcome.accepted().orElseThrow();
        String status = deliveries.outcome(accepted.queued(), wait);
        if (accepted.inhibitedBy().isEmpty()) {
            metrics.anomaly(status);
            Map<String, Object> answer = answer(a.anomalyId(), a.dedupKey(), p.severity(), p.targets(), status);
            p.page().describeIn(answer);
            return new Answer(202, answer);
        }
        String rootCause = accepted.inhibitedBy().get();
        metrics.anomaly(Inhibition.INHIBITED);
        store.find(rootCause).ifPresent(r -> inhibition.notes().alsoAffected(rootCause, r.dedupKey(), a.service(), a.anomalyId(), a.score()));
        List<RoutingTarget> pagedNow = p.targets().stream().filter(t -> !p.held().contains(t)).toList();
        Map<String, Object> answer = answer(a.anomalyId(), a.dedupKey(), p.severity(), pagedNow, Inhibition.INHIBITED);
        answer.put("inhibited_by", rootCause);
        List<Map<String, String>> heldTeams = new ArrayList<>();
        p.held().forEach(t -> heldTeams.add(Map.of("team", t.team(), "routing_key", t.maskedKey())));
        answer.put("held_teams", heldTeams);
        p.page().describeIn(answer);
        return new Answer(202, answer);
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
        deliveries.wake();
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        return answer(anomalyId, known.dedupKey(), known.severity(), known.targets(), deliveries.outcome(queued.get(), deliveryWait));
    }

    /** One resolve per routing key the trigger reached, never another key (PagerDuty would drop it silently). */
    public static List<NewEvent> resolveEvents(AnomalyRecord known) {
        return known.targets().stream()
                .map(t -> new NewEvent(t.routingKey(), t.team(), "resolve",
                        PagerDutyEvents.resolve(known.dedupKey(), t.routingKey()).toString()))
                .toList();
    }

    private Answer alreadyKnown(AnomalyRecord known) {
        String anomalyId = known.anomalyId();
        if (known.resolved()) {
            metrics.anomaly("already_resolved");
            Map<String, Object> answer = answer(anomalyId, known.dedupKey(), known.severity(), known.targets(), "already_resolved");
            answer.put("error", "anomaly '" + anomalyId + "' was already resolved; nobody is paged again for it. "
                    + "Post a new anomaly_id for a new occurrence.");
            return new Answer(409, answer);
        }
        metrics.anomaly("duplicate");
        return new Answer(202, answer(anomalyId, known.dedupKey(), known.severity(), known.targets(), "duplicate"));
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
