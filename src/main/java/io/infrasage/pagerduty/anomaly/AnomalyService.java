package io.infrasage.pagerduty.anomaly;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.clickhouse.StateRows;
import io.infrasage.pagerduty.http.InvalidRequestException;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.NewEvent;
import io.infrasage.pagerduty.outbox.PagerDutyDispatcher;
import io.infrasage.pagerduty.outbox.RowSpool;
import org.apache.camel.Exchange;

/**
 * The seed's lifecycle steps 1 and 3: page for an anomaly, and send the resolve when a runbook fixed it. Accepting
 * means durably queued (the local outbox, or Kafka); the answer says what happened: sent, queued, suppressed or duplicate.
 */
public final class AnomalyService {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final AnomalyRecords store;
    private final PagerDutyDispatcher dispatcher;
    private final RowSpool spool;
    private final SeverityPolicy severityPolicy;
    private final PageComposer composer;
    private final BundleMetrics metrics;
    private final Duration deliveryWait;

    public AnomalyService(AnomalyRecords store, PagerDutyDispatcher dispatcher, RowSpool spool, SeverityPolicy severityPolicy,
                          PageComposer composer, BundleMetrics metrics, Duration deliveryWait) {
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
        Optional<List<Long>> queued = store.accept(a.anomalyId(), a.dedupKey(), targets, severity, "queued", events, rows);
        if (queued.isEmpty()) {
            return alreadyKnown(a.anomalyId(), exchange);
        }
        dispatcher.wake();
        String status = awaitDelivery(queued.get());
        metrics.anomaly(status);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        Map<String, Object> answer = answer(a.anomalyId(), a.dedupKey(), severity, targets, status);
        page.describeIn(answer);
        return answer;
    }

    /** A runbook resolved the anomaly: resolve goes to every routing key the trigger went to, never to another. */
    public Map<String, Object> resolve(String anomalyId, Object body, Exchange exchange) {
        ResolveRequest request = ResolveRequest.parse(body);
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
        return answer(anomalyId, known.dedupKey(), known.severity(), known.targets(), awaitDelivery(queued.get()));
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

    /**
     * Waits up to INFRASAGE_DELIVERY_WAIT for PagerDuty's answers: "sent" when every event was accepted, "failed" when
     * PagerDuty refused one (400), else "queued" (still in the outbox, being retried).
     */
    private String awaitDelivery(List<Long> seqs) {
        if (deliveryWait.isZero() || seqs.isEmpty()) {
            return "queued";
        }
        CompletableFuture<?>[] all = seqs.stream().map(dispatcher::delivery).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(all).get(deliveryWait.toMillis(), TimeUnit.MILLISECONDS);
            for (CompletableFuture<?> f : all) {
                if (!Boolean.TRUE.equals(f.get())) {
                    return "failed";
                }
            }
            return "sent";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "queued";
        } catch (Exception e) {
            return "queued";
        }
    }

    private static Row.Builder details(Row.Builder row, Anomaly a, String severity, List<RoutingTarget> targets) {
        return row.set("service", a.service()).set("environment", a.environment()).set("metric", a.metric())
                .set("severity", severity).set("score", a.score()).set("root_cause", a.rootCause())
                .set("dedup_key", a.dedupKey()).set("teams", teams(targets));
    }

    private static String teams(List<RoutingTarget> targets) {
        return targets.stream().map(RoutingTarget::toString).collect(Collectors.joining(","));
    }

    private static Map<String, Object> answer(String anomalyId, String dedupKey, String severity, List<RoutingTarget> targets,
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

    /** What a runbook says when it resolves: which runbook, which actor, an optional note. */
    record ResolveRequest(String runbook, String actor, String note) {
        static ResolveRequest parse(Object body) {
            JsonNode node;
            try {
                String text = body == null ? "" : body instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8)
                        : body.toString();
                node = text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
            } catch (Exception e) {
                throw InvalidRequestException.badRequest("invalid resolve request", List.of("body is not valid JSON"));
            }
            if (!node.isObject()) {
                throw InvalidRequestException.badRequest("invalid resolve request", List.of("body must be a JSON object"));
            }
            List<String> problems = new ArrayList<>();
            String runbook = field(node, "runbook", 200, problems);
            String actor = field(node, "actor", 200, problems);
            String note = field(node, "note", 65_535, problems);
            if (!problems.isEmpty()) {
                throw InvalidRequestException.badRequest("invalid resolve request", problems);
            }
            return new ResolveRequest(runbook == null ? "unnamed runbook" : runbook, actor, note);
        }

        private static String field(JsonNode node, String name, int max, List<String> problems) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isTextual()) {
                problems.add("$." + name + ": must be a string");
                return null;
            }
            if (v.asText().length() > max) {
                problems.add("$." + name + ": must be at most " + max + " characters");
            }
            return v.asText();
        }
    }
}
