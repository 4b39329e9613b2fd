package io.infrasage.pagerduty.rest;

import java.util.function.LongSupplier;

/**
 * What PagerDuty last said about the REST API budget of our token: its {@code ratelimit-limit}, {@code -remaining} and
 * {@code -reset} headers (seconds until the window resets). The limit is per token, so other tools holding the same
 * token spend it too: {@link RestBudget} asks this before each call, besides counting the bundle's own calls.
 */
public final class RestRateLimit {

    private final LongSupplier clockMillis;
    private volatile int limit = -1;
    private volatile int remaining = -1;
    private volatile long resetAtMillis;
    private volatile boolean throttled;

    public RestRateLimit() {
        this(System::currentTimeMillis);
    }

    RestRateLimit(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
    }

    /** Records an answer's headers (absent headers change nothing); a 429 means nothing remains until the reset. */
    public void observe(int status, String limitHeader, String remainingHeader, String resetHeader) {
        Integer l = integer(limitHeader);
        Integer r = integer(remainingHeader);
        Integer reset = integer(resetHeader);
        if (l != null) {
            limit = l;
        }
        if (r != null) {
            remaining = r;
        }
        if (reset != null) {
            resetAtMillis = clockMillis.getAsLong() + reset * 1000L;
        }
        if (status == 429) {
            remaining = 0;
            throttled = true;
            if (reset == null) {
                // PagerDuty's window is a minute: without a reset header, wait for a whole one
                resetAtMillis = clockMillis.getAsLong() + 60_000;
            }
        }
    }

    /**
     * True unless PagerDuty's last answer left {@code keep} requests or fewer once those in flight are made, or
     * refused one, and its window has not reset since (after a reset the bundle's own count is what is known).
     */
    public boolean allows(int keep, int inFlight) {
        if (clockMillis.getAsLong() >= resetAtMillis) {
            throttled = false;
            return true;
        }
        if (throttled) {
            return false;
        }
        return remaining < 0 || remaining - inFlight > keep;
    }

    /** Requests left in the current window as PagerDuty last said (-1: not known yet). */
    public int remaining() {
        return remaining;
    }

    /** The token's requests per window as PagerDuty last said (-1: not known yet). */
    public int limit() {
        return limit;
    }

    private static Integer integer(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        try {
            return Integer.valueOf(header.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
