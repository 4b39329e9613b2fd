package io.infrasage.pagerduty.sandbox;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Sliding-window limit per key (routing key for the Events API, token for REST): at most {@code limit} admissions in
 * any {@code window}. Only admitted requests are remembered, so a rejected (429) request never extends the wait.
 */
final class RateWindow {

    private final int limit;
    private final long windowNanos;
    private final LongSupplier nanoTime;
    private final Map<String, Deque<Long>> admitted = new HashMap<>();

    RateWindow(int limit, Duration window) {
        this(limit, window, System::nanoTime);
    }

    RateWindow(int limit, Duration window, LongSupplier nanoTime) {
        if (limit < 1) {
            throw new IllegalArgumentException("rate limit must be at least 1, was " + limit);
        }
        this.limit = limit;
        this.windowNanos = window.toNanos();
        this.nanoTime = nanoTime;
    }

    int limit() {
        return limit;
    }

    /** Admissions left for the key in the current window. */
    synchronized int remaining(String key) {
        return limit - expire(key, nanoTime.getAsLong()).size();
    }

    /** Whole seconds until the oldest admission leaves the window (0 when none is counted). */
    synchronized long resetSeconds(String key) {
        long now = nanoTime.getAsLong();
        Deque<Long> times = expire(key, now);
        return times.isEmpty() ? 0 : (times.peekFirst() + windowNanos - now + 999_999_999L) / 1_000_000_000L;
    }

    private Deque<Long> expire(String key, long now) {
        Deque<Long> times = admitted.computeIfAbsent(key, k -> new ArrayDeque<>());
        while (!times.isEmpty() && now - times.peekFirst() >= windowNanos) {
            times.pollFirst();
        }
        return times;
    }

    /** Admits and counts the request if the key is under its limit; otherwise changes nothing and returns false. */
    synchronized boolean tryAcquire(String key) {
        long now = nanoTime.getAsLong();
        Deque<Long> times = expire(key, now);
        if (times.size() >= limit) {
            return false;
        }
        times.addLast(now);
        return true;
    }
}
