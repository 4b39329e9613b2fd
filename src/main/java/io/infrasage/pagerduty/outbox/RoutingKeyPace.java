package io.infrasage.pagerduty.outbox;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;

/**
 * The pace of each routing key, so a storm queues instead of being refused by PagerDuty's per-key limit. A token bucket
 * spreads the sends (the burst, then the rest of the limit over the minute); a {@link AnswerWindow} makes the limit hold
 * at PagerDuty however late an event arrives. Also how long each key has been held back, for the attempts' headers.
 */
public final class RoutingKeyPace {

    /** The window PagerDuty counts each routing key's events in. */
    static final Duration PAGERDUTY_WINDOW = Duration.ofMinutes(1);
    /** How soon a key whose whole limit is still in flight is looked at again (an answer also wakes the poller). */
    private static final long IN_FLIGHT_RECHECK_MILLIS = 100;

    private final int ratePerMinute;
    private final int burst;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Map<String, AnswerWindow> windows = new ConcurrentHashMap<>();
    /** When each key held back by its pace first had no room (epoch millis). */
    private final Map<String, Long> heldSince = new ConcurrentHashMap<>();

    public RoutingKeyPace(int ratePerMinute, int burst) {
        this.ratePerMinute = ratePerMinute;
        this.burst = burst;
    }

    /** Bucket4j refills greedily: with capacity B and a refill of (L - B) a minute, no 60 s of sends holds more than L. */
    private Bucket bucket(String routingKey) {
        return buckets.computeIfAbsent(routingKey, k -> Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(burst).refillGreedy(ratePerMinute - burst, PAGERDUTY_WINDOW)
                        .initialTokens(burst).build())
                .build());
    }

    private AnswerWindow window(String routingKey) {
        return windows.computeIfAbsent(routingKey, k -> new AnswerWindow(ratePerMinute));
    }

    /** Sends the key may start now; with none, it is held back from now on. */
    long available(String routingKey, long nowMillis) {
        long room = Math.min(bucket(routingKey).getAvailableTokens(), window(routingKey).room(nowMillis));
        if (room < 1) {
            heldSince.putIfAbsent(routingKey, nowMillis);
        }
        return room;
    }

    /** Milliseconds until the key may start a send again. */
    long millisToNext(String routingKey, long nowMillis) {
        long bucketWait = TimeUnit.NANOSECONDS.toMillis(bucket(routingKey).estimateAbilityToConsume(1).getNanosToWaitForRefill()) + 1;
        return Math.max(bucketWait, window(routingKey).millisToRoom(nowMillis));
    }

    /**
     * Starts a send: 0 when the key had room, else the milliseconds until it may have (the key is held back meanwhile).
     * Every send this lets start must end with {@link #answered}.
     */
    long take(String routingKey, long nowMillis) {
        AnswerWindow window = window(routingKey);
        synchronized (window) {
            long windowWait = window.millisToRoom(nowMillis);
            if (windowWait == 0) {
                var probe = bucket(routingKey).tryConsumeAndReturnRemaining(1);
                if (probe.isConsumed()) {
                    window.sent();
                    return 0;
                }
                windowWait = TimeUnit.NANOSECONDS.toMillis(probe.getNanosToWaitForRefill()) + 1;
            }
            heldSince.putIfAbsent(routingKey, nowMillis);
            return windowWait;
        }
    }

    /** The send ended (PagerDuty answered, or the attempt gave up): the event has arrived, if it ever will. */
    void answered(String routingKey, long nowMillis) {
        window(routingKey).answered(nowMillis);
    }

    /** How long the key has been held back by its pace (0 when it is not); it is free again once it has room. */
    long heldFor(String routingKey, long nowMillis) {
        if (bucket(routingKey).getAvailableTokens() >= 1 && window(routingKey).room(nowMillis) >= 1) {
            heldSince.remove(routingKey);
        }
        Long since = heldSince.get(routingKey);
        return since == null ? 0 : Math.max(0, nowMillis - since);
    }

    /**
     * PagerDuty counts arrivals, and an event arrives between its send and its answer. So an event is counted from its
     * send until a window after its answer, and a send starts only while fewer than the limit are counted: then no
     * window of arrivals holds more than the limit, whatever the network or PagerDuty's queue does to one event.
     */
    static final class AnswerWindow {
        private final int limit;
        private final long windowMillis = PAGERDUTY_WINDOW.toMillis();
        private final ArrayDeque<Long> answers = new ArrayDeque<>();
        private int inFlight;

        AnswerWindow(int limit) {
            this.limit = limit;
        }

        synchronized long room(long nowMillis) {
            expire(nowMillis);
            return Math.max(0, limit - inFlight - answers.size());
        }

        /** 0 when a send may start now. */
        synchronized long millisToRoom(long nowMillis) {
            if (room(nowMillis) > 0) {
                return 0;
            }
            return answers.isEmpty() ? IN_FLIGHT_RECHECK_MILLIS : answers.peekFirst() + windowMillis - nowMillis + 1;
        }

        synchronized void sent() {
            inFlight++;
        }

        synchronized void answered(long nowMillis) {
            inFlight = Math.max(0, inFlight - 1);
            // in order, so the oldest answer is always first (senders' clocks are read before they get here)
            answers.addLast(answers.isEmpty() ? nowMillis : Math.max(nowMillis, answers.peekLast()));
        }

        private void expire(long nowMillis) {
            while (!answers.isEmpty() && nowMillis - answers.peekFirst() >= windowMillis) {
                answers.pollFirst();
            }
        }
    }
}
