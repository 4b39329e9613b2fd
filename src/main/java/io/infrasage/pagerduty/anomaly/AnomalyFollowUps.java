package io.infrasage.pagerduty.anomaly;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.clickhouse.StateRows;
import io.infrasage.pagerduty.http.InvalidRequestException;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.NewEvent;
import io.infrasage.pagerduty.outbox.Deliveries;
import org.apache.camel.Exchange;

/**
 * What a runbook tells PagerDuty about a paged anomaly between its trigger and its resolve: that it started work (an
 * Events v2 acknowledge) and what it changed (a Change Event). Both go to the routing keys the trigger went to, through
 * the durable outbox, queued behind the anomaly's earlier events, so they reach PagerDuty in order.
 */
public final class AnomalyFollowUps {

    /** PagerDuty refuses change events on ruleset (event orchestration) keys, which start with R. */
    static final String RULESET_KEY_PREFIX = "R";

    private final AnomalyRecords store;
    private final Deliveries deliveries;
    private final Duration deliveryWait;

    public AnomalyFollowUps(AnomalyRecords store, Deliveries deliveries, Duration deliveryWait) {
        this.store = store;
        this.deliveries = deliveries;
        this.deliveryWait = deliveryWait;
    }

    /** A runbook started work: acknowledge goes to exactly the trigger's routing keys, and only before any resolve. */
    public Map<String, Object> acknowledge(String anomalyId, Object body, Exchange exchange) {
        RunbookRequest request = RunbookRequest.parse(body, "acknowledge");
        AnomalyRecord known = paged(anomalyId);
        if (known.resolved()) {
            return alreadyResolved(known, exchange);
        }
        Instant now = Instant.now();
        List<NewEvent> events = known.targets().stream()
                .map(t -> new NewEvent(t.routingKey(), t.team(), "acknowledge",
                        PagerDutyEvents.acknowledge(known.dedupKey(), t.routingKey()).toString()))
                .toList();
        List<Row> rows = List.of(StateRows.audit(now, "acknowledge-requested-" + anomalyId + "-" + UUID.randomUUID(), anomalyId,
                "acknowledge_requested", "runbook", request.runbook(), "bundle").set("actor_id", request.actor())
                .set("detail", request.note()).build());
        Optional<List<Long>> queued = store.follow(anomalyId, true, events, rows);
        if (queued.isEmpty()) {
            return alreadyResolved(store.find(anomalyId).orElse(known), exchange); // resolved meanwhile
        }
        deliveries.wake();
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        return AnomalyService.answer(anomalyId, known.dedupKey(), known.severity(), known.targets(),
                deliveries.outcome(queued.get(), deliveryWait));
    }

    /**
     * A runbook changed something: one Change Event per routing key of the trigger (ruleset keys excepted, PagerDuty
     * refuses change events there). Also after the resolve: what was changed is still worth knowing.
     */
    public Map<String, Object> change(String anomalyId, Object body, Exchange exchange) {
        ChangeRequest request = ChangeRequest.parse(body);
        AnomalyRecord known = paged(anomalyId);
        Instant now = Instant.now();
        List<RoutingTarget> targets = known.targets().stream().filter(t -> !t.routingKey().startsWith(RULESET_KEY_PREFIX)).toList();
        List<NewEvent> events = targets.stream()
                .map(t -> new NewEvent(t.routingKey(), t.team(), "change",
                        request.event(t.routingKey(), anomalyId, known.dedupKey(), now).toString()))
                .toList();
        List<Row> rows = List.of(StateRows.audit(now, "change-requested-" + anomalyId + "-" + UUID.randomUUID(), anomalyId,
                "change_requested", "runbook", request.runbook() == null ? RunbookRequest.UNNAMED : request.runbook(), "bundle")
                .set("detail", request.summary()).build());
        Optional<List<Long>> queued = store.follow(anomalyId, false, events, rows);
        if (queued.isEmpty()) {
            throw unknown(anomalyId);
        }
        deliveries.wake();
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        Map<String, Object> answer = AnomalyService.answer(anomalyId, known.dedupKey(), known.severity(), targets,
                deliveries.outcome(queued.get(), deliveryWait));
        if (targets.size() < known.targets().size()) {
            answer.put("skipped", "ruleset routing keys (starting with R) take no change events");
        }
        if (!request.cuts().isEmpty()) {
            answer.put("cut", request.cuts());
        }
        return answer;
    }

    private AnomalyRecord paged(String anomalyId) {
        return store.find(anomalyId).orElseThrow(() -> unknown(anomalyId));
    }

    private static InvalidRequestException unknown(String anomalyId) {
        return new InvalidRequestException(404, "unknown anomaly",
                List.of("no page was sent for anomaly '" + anomalyId + "' (never posted, or suppressed)"));
    }

    private static Map<String, Object> alreadyResolved(AnomalyRecord known, Exchange exchange) {
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        Map<String, Object> answer = AnomalyService.answer(known.anomalyId(), known.dedupKey(), known.severity(), known.targets(),
                "already_resolved");
        answer.put("resolved_by", known.resolvedBy());
        return answer;
    }
}
