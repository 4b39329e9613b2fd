package io.infrasage.pagerduty.outbox;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.infrasage.pagerduty.clickhouse.Row;

/**
 * The port the {@link PagerDutyDispatcher} delivers from: events accepted and not yet delivered, in queues per
 * (dedup key, routing key), plus which routing keys may have due events ({@link DueRoutingKeys}). Adapters: the
 * embedded SQLite file (one instance) and Kafka (any number of instances).
 */
public interface Outbox {

    /** The routing keys that may have due events, each with a version for {@link #drained}. */
    Map<String, Long> activeRoutingKeys();

    /** Every known key may have due events: at start, and once a second for anything overlooked. */
    void activateAll();

    void activate(String routingKey);

    /** A poll found no more due events for the key than it asked for: leave it alone until something touches it. */
    void drained(String routingKey, long version);

    /**
     * The heads of the (dedup key, routing key) queues of one routing key that are due, oldest first: order is kept per
     * dedup key, and one routing key's backlog (held back by its rate limit) never hides another key's events.
     */
    List<OutboxEvent> dueHeads(String routingKey, long nowMillis, int limit);

    /** The dispatcher hands this event to a sender now; its outcome follows through complete or retryLater. */
    default void sending(OutboxEvent e) {
    }

    /** Delivered or refused for good: the event leaves the outbox and its ClickHouse rows are kept for writing. */
    void complete(OutboxEvent e, List<Row> rows);

    void retryLater(OutboxEvent e, long nextAttemptAtMillis, String error);

    long depth();

    Optional<Long> oldestQueuedAt();
}
