package io.infrasage.pagerduty.outbox;

import java.util.List;
import java.util.Optional;

import io.infrasage.pagerduty.clickhouse.Row;

/**
 * The port the {@link OutboxConsumer} delivers from: events accepted and not yet delivered, in queues per
 * (dedup key, routing key), plus which routing keys may have due events ({@link DueRoutingKeys}). Adapters: the
 * embedded SQLite file (one instance) and Kafka (any number of instances).
 */
public interface Outbox {

    /**
     * Which routing keys may have due events: the adapter activates a key when its events are durably queued or a head
     * of its queues is gone; the consumer polls the active ones and marks them drained.
     */
    DueRoutingKeys dueKeys();

    /**
     * The heads of the (dedup key, routing key) queues of one routing key that are due, oldest first: order is kept per
     * dedup key, and one routing key's backlog (held back by its rate limit) never hides another key's events.
     */
    List<OutboxEvent> dueHeads(String routingKey, long nowMillis, int limit);

    /** The consumer hands this event to a sender now; its outcome follows through complete or retryLater. */
    default void sending(OutboxEvent e) {
    }

    /** Delivered or refused for good: the event leaves the outbox and its ClickHouse rows are kept for writing. */
    void complete(OutboxEvent e, List<Row> rows);

    void retryLater(OutboxEvent e, long nextAttemptAtMillis, String error);

    long depth();

    Optional<Long> oldestQueuedAt();

    /**
     * Why this outbox cannot take a durable write now (the disk is full, the broker is away), or empty when it can.
     * Readiness follows it: an instance that cannot make a page durable must not get traffic.
     */
    default Optional<String> unwritable() {
        return Optional.empty();
    }
}
