package io.infrasage.pagerduty.outbox;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * PagerDuty's answers that the outbox could not record (its disk failed the write), held in memory so none is lost and
 * a failing disk is not hammered. A delivered or refused event is not sent again: its outcome is recorded once the
 * outbox takes writes. A retry keeps counting its attempts, so its backoff grows as if they were recorded. A restart
 * forgets them all; the events are then sent again, which PagerDuty's dedup key makes harmless.
 */
final class UnrecordedOutcomes {

    /** How soon a known outcome is written again: one small write, and only while the outbox says it takes writes. */
    static final long RECORD_AGAIN_MILLIS = 1000;
    /** An entry unseen this long is of an event that left the outbox another way (PagerDuty's resolve dropped it). */
    static final long FORGET_MILLIS = TimeUnit.MINUTES.toMillis(10);

    /**
     * @param decision what PagerDuty's answer decided, or null for a retry (the event is sent again when due)
     * @param attempts retries of the event whose attempt the outbox does not count
     */
    private record Entry(DeliveryPolicy.Decision decision, int attempts, long dueAt, long seenAt) {
    }

    private final Map<Long, Entry> bySeq = new ConcurrentHashMap<>();

    /** The outcome of this event could not be written; returns when to look at the event again. */
    long failed(long seq, DeliveryPolicy.Decision decision, long nowMillis) {
        Entry before = bySeq.get(seq);
        int attempts = before == null ? 0 : before.attempts();
        Entry entry = decision instanceof DeliveryPolicy.Retry r
                ? new Entry(null, attempts + 1, nowMillis + r.delay().toMillis(), nowMillis)
                : new Entry(decision, attempts, nowMillis + RECORD_AGAIN_MILLIS, nowMillis);
        bySeq.put(seq, entry);
        return entry.dueAt();
    }

    void recorded(long seq) {
        bySeq.remove(seq);
    }

    /** Whether the event is to be left alone for now (its retry or its next recording is not due yet). */
    boolean waiting(long seq, long nowMillis) {
        Entry e = bySeq.computeIfPresent(seq, (s, v) -> new Entry(v.decision(), v.attempts(), v.dueAt(), nowMillis));
        return e != null && e.dueAt() > nowMillis;
    }

    /** The decision to record instead of sending the event again, if PagerDuty already answered it for good. */
    Optional<DeliveryPolicy.Decision> known(long seq) {
        Entry e = bySeq.get(seq);
        return e == null ? Optional.empty() : Optional.ofNullable(e.decision());
    }

    /** The outbox takes no writes yet: the known outcome waits another round. */
    void postpone(long seq, long nowMillis) {
        bySeq.computeIfPresent(seq, (s, v) -> new Entry(v.decision(), v.attempts(), nowMillis + RECORD_AGAIN_MILLIS, nowMillis));
    }

    /** Attempts made that the outbox does not count yet, for the backoff. */
    int attempts(long seq) {
        Entry e = bySeq.get(seq);
        return e == null ? 0 : e.attempts();
    }

    void prune(long nowMillis) {
        bySeq.values().removeIf(e -> nowMillis - Math.max(e.seenAt(), e.dueAt()) > FORGET_MILLIS);
    }

    int size() {
        return bySeq.size();
    }
}
