package io.infrasage.pagerduty.outbox;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The events handed to senders and not finished: at most one per (dedup key, routing key), so a resolve never
 * overtakes its trigger. Also when each event was last finished: a poll works on a snapshot of the outbox, and an event
 * finished after the snapshot was taken (delivered, or rescheduled) must not be sent again from it.
 */
final class InFlightEvents {

    private final Set<String> orderKeys = ConcurrentHashMap.newKeySet();
    /** How many each routing key has: a poll reads that many heads more than it wants. */
    private final Map<String, AtomicInteger> byRoutingKey = new ConcurrentHashMap<>();
    /** nanoTime of each event's last finish. */
    private final Map<Long, Long> finishedAt = new ConcurrentHashMap<>();

    int size() {
        return orderKeys.size();
    }

    int of(String routingKey) {
        AtomicInteger n = byRoutingKey.get(routingKey);
        return n == null ? 0 : n.get();
    }

    /** Whether the event is not to be handed out from a snapshot taken then: its queue is busy, or it finished since. */
    boolean busy(OutboxEvent e, long snapshotNanos) {
        Long finished = finishedAt.get(e.seq());
        return orderKeys.contains(e.orderKey()) || finished != null && finished - snapshotNanos >= 0;
    }

    void add(OutboxEvent e) {
        orderKeys.add(e.orderKey());
        byRoutingKey.computeIfAbsent(e.routingKey(), k -> new AtomicInteger()).incrementAndGet();
    }

    void done(OutboxEvent e) {
        finishedAt.put(e.seq(), System.nanoTime());
        byRoutingKey.get(e.routingKey()).decrementAndGet();
        orderKeys.remove(e.orderKey());
    }

    /** A full pass over the finish times: once a second, not on every poll. */
    void prune(long nowNanos) {
        finishedAt.values().removeIf(t -> nowNanos - t > TimeUnit.MINUTES.toNanos(1));
    }
}
