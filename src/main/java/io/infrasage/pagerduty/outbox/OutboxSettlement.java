package io.infrasage.pagerduty.outbox;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.clickhouse.PersistenceUnavailableException;
import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.clickhouse.StateRows;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each attempt's outcome to the outbox: a delivered or refused event leaves it with its ClickHouse rows, a retry
 * is rescheduled. An outcome the outbox cannot write waits in memory ({@link UnrecordedOutcomes}): the event stays
 * queued and is neither lost nor sent again while this process runs.
 */
public final class OutboxSettlement {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxSettlement.class);

    private final Outbox store;
    private final BundleMetrics metrics;
    private final Deliveries deliveries;
    private final UnrecordedOutcomes unrecorded = new UnrecordedOutcomes();
    /** Told of an anomaly whose trigger PagerDuty refused for good (symptom inhibition lets its symptoms page then). */
    private volatile Consumer<String> onTriggerRefused = anomalyId -> { };

    public OutboxSettlement(Outbox store, BundleMetrics metrics, Deliveries deliveries) {
        this.store = store;
        this.metrics = metrics;
        this.deliveries = deliveries;
    }

    public void whenTriggerRefused(Consumer<String> listener) {
        this.onTriggerRefused = listener;
    }

    /** Whether the event is left alone this round: its retry is not due, or its known outcome cannot be written yet. */
    boolean waiting(OutboxEvent e, long nowMillis) {
        if (unrecorded.waiting(e.seq(), nowMillis)) {
            return true; // a retry the outbox could not reschedule: its key is polled again when it is due
        }
        if (unrecorded.known(e.seq()).isPresent() && store.unwritable().isPresent()) {
            unrecorded.postpone(e.seq(), nowMillis);
            return true;
        }
        return false;
    }

    /** PagerDuty's answer to this event when it is known already (delivered or refused for good): only it is written. */
    Optional<DeliveryPolicy.Decision> known(OutboxEvent e) {
        return unrecorded.known(e.seq());
    }

    /** Attempts made before the next one, also those the outbox could not count: the backoff grows with them. */
    int attemptsBefore(OutboxEvent e) {
        return e.attempts() + unrecorded.attempts(e.seq());
    }

    void prune(long nowMillis) {
        unrecorded.prune(nowMillis);
    }

    /** Records the outcome; returns when the event is due again (epoch millis), or -1 when it left the outbox. */
    long settle(OutboxEvent e, DeliveryPolicy.Decision decision) {
        try {
            long dueAt = record(e, decision);
            unrecorded.recorded(e.seq());
            return dueAt;
        } catch (RuntimeException ex) {
            if (ex instanceof PersistenceUnavailableException) {
                // the store logs its outage once; one line per event would flood the log
                LOG.debug("could not record the outcome of outbox event {} ({}): {}; kept until it can", e.seq(), e.action(), ex.getMessage());
            } else {
                LOG.error("could not record the outcome of outbox event {} ({}): {}; it stays queued", e.seq(), e.action(), ex.getMessage());
            }
            return unrecorded.failed(e.seq(), decision, System.currentTimeMillis());
        }
    }

    private long record(OutboxEvent e, DeliveryPolicy.Decision decision) {
        Instant now = Instant.now();
        String key = RoutingTarget.mask(e.routingKey());
        boolean trigger = e.action().equals("trigger");
        if (decision instanceof DeliveryPolicy.Retry r) {
            long at = now.toEpochMilli() + r.delay().toMillis();
            store.retryLater(e, at, r.reason());
            // every attempt at debug only: an outage is logged once by the DependencyState, throttling shows in metrics
            LOG.debug("{} for {} (key {}) not delivered yet: {}; retry {} in {} ms", e.action(), e.dedupKey(), key, r.reason(),
                    e.attempts() + 1, r.delay().toMillis());
            return at;
        }
        List<Row> rows = new ArrayList<>();
        if (decision instanceof DeliveryPolicy.Rejected r) {
            if (trigger) {
                rows.add(StateRows.state(e.anomalyId(), "trigger-failed-" + e.seq(), outcomeVersion(e), now, "failed")
                        .set("detail", r.reason()).build());
            }
            rows.add(StateRows.audit(now, "outbox-" + e.seq() + "-rejected", e.anomalyId(), e.action() + "_rejected",
                    "pagerduty", "PagerDuty", "bundle").set("detail", r.reason()).build());
            store.complete(e, rows);
            metrics.pagerDutyRejected();
            if (trigger) {
                try {
                    onTriggerRefused.accept(e.anomalyId());
                } catch (RuntimeException ex) {
                    LOG.error("symptoms held back by {} could not be released after its refused trigger: {}; they page when it is "
                            + "resolved", e.anomalyId(), ex.getMessage());
                }
            }
            LOG.error("PAGE NOT DELIVERED: PagerDuty refused the {} for {} (team {}, key {}): {}", e.action(), e.dedupKey(),
                    e.team(), key, r.reason());
            deliveries.finish(e.seq(), false);
            return -1;
        }
        if (trigger) {
            rows.add(StateRows.state(e.anomalyId(), "trigger-sent-" + e.seq(), outcomeVersion(e), now, "sent").build());
        }
        rows.add(StateRows.audit(now, "outbox-" + e.seq() + "-delivered", e.anomalyId(), e.action() + "_delivered",
                "infrasage", "InfraSage", "bundle").set("detail", "team " + e.team() + " (" + key + ")").build());
        store.complete(e, rows);
        LOG.info("{} for {} delivered to PagerDuty (team {}, key {}, attempt {})", e.action(), e.dedupKey(), e.team(), key,
                e.attempts() + 1);
        deliveries.finish(e.seq(), true);
        return -1;
    }

    /**
     * The version of a delivery outcome is the moment the event was accepted (just after its 'queued' row), not the
     * moment the answer was recorded: PagerDuty's own later changes (acknowledged, resolved, stamped with its time)
     * must win over our 'sent', however late a busy machine records it.
     */
    static long outcomeVersion(OutboxEvent e) {
        return e.createdAtMillis() * 1000 + 999;
    }
}
