package io.infrasage.pagerduty.outbox;

import java.util.List;
import java.util.Optional;

import io.infrasage.pagerduty.clickhouse.Row;

/**
 * The port through which the anomaly flow records what it paged and queues the events: which routing keys an anomaly's
 * trigger reached, whether and by whom it was resolved. Each write returns only once it is durable (the local SQLite
 * file, or Kafka with acks=all), so the caller's 202 means nothing accepted can be lost.
 */
public interface AnomalyRecords {

    Optional<AnomalyRecord> find(String anomalyId);

    /**
     * Records new anomalies with their events and ClickHouse rows, in order, in one durable write (one fsync, or one
     * wait for Kafka's acks), so a batch costs one commit, not one per anomaly. An anomaly already known, also one
     * given earlier in the same list, is written no more. With symptom inhibition (see {@link AcceptRequest}), the
     * adapter gathers the anomaly's possible root causes: open, paged anomalies (not resolved, not held back themselves,
     * their trigger not refused) accepted at or after its {@code rootCauseSinceMillis} whose blast radius names the
     * anomaly's service, also those earlier in the same list. {@link io.infrasage.pagerduty.inhibition.InhibitionRule}
     * chooses the one, if any, that holds the anomaly's {@code inhibitable} events until it is resolved; only
     * {@code pagedAnyway} are queued then. Resolving the root cause (either resolve method) queues the held events of
     * its symptoms that are still open.
     *
     * @param unpagedRows rows of anomalies recorded but not paged (suppressed), written in the same commit
     * @return one outcome per request, in order
     * @throws RuntimeException when the write is not durable: none of the list may be answered as accepted (repeating
     *         the whole list is safe: what did get written is then answered as already known)
     */
    List<AcceptOutcome> acceptAll(List<AcceptRequest> requests, List<Row> unpagedRows);

    /** One anomaly: {@link #acceptAll} of one. */
    default AcceptOutcome accept(AcceptRequest request) {
        return acceptAll(List.of(request), List.of()).get(0);
    }

    /**
     * PagerDuty refused a trigger of this anomaly for good (400): nobody was paged there, so it must not hold symptoms
     * back. It is no root cause from now on, and the symptoms it holds are queued at once (never lost behind a page
     * that never happened).
     */
    void triggerRefused(String anomalyId);

    /**
     * Marks an anomaly resolved by a runbook and queues its resolve events, once.
     *
     * @return the queued sequence numbers, or empty when it was already resolved (or never accepted)
     */
    Optional<List<Long>> resolve(String anomalyId, String resolvedBy, List<NewEvent> events, List<Row> rows);

    /**
     * Queues further events of a known anomaly (an acknowledge, a change event) in order after its earlier ones, with
     * their ClickHouse rows.
     *
     * @param whileOpen queue them only while the anomaly is not resolved: an acknowledge must come before any resolve
     * @return the queued sequence numbers, or empty when the anomaly is unknown, or resolved and whileOpen (nothing written)
     */
    Optional<List<Long>> follow(String anomalyId, boolean whileOpen, List<NewEvent> events, List<Row> rows);

    /**
     * Queues the resolve events of an anomaly already resolved by a runbook once more: PagerDuty answered 202 to the
     * first ones, yet still lists the incident as open (the self-healing sync found the resolve lost). A resolve is
     * idempotent in PagerDuty, so sending it again is safe; the record does not change.
     *
     * @return the queued sequence numbers, or empty when the anomaly is unknown or not resolved by a runbook
     */
    Optional<List<Long>> resendResolve(String anomalyId, List<NewEvent> events, List<Row> rows);

    /**
     * PagerDuty says the incident is resolved (an engineer, or our own resolve coming back): remember it, the first
     * resolution winning, and make sure no trigger still queued for it goes out, since a trigger sent after a resolve
     * would open a new incident and page again.
     *
     * @return how many queued triggers were dropped at once (an adapter may drop them later, when they come up)
     */
    int resolvedInPagerDuty(String anomalyId, String resolvedBy, String resolvedByKind);
}
