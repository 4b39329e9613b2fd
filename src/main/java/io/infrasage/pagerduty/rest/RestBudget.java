package io.infrasage.pagerduty.rest;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The bundle's plan for its PagerDuty REST token (about 960 requests a minute, shared by every caller): it counts its
 * own calls over PagerDuty's one-minute window and never starts one that would exceed the limit, so PagerDuty has no
 * reason to answer 429. A quarter of the window is reserved for verification (a person is waiting) and the self-healing
 * sync: lookups that can wait (a webhook's incident alerts and notes, root-cause notes) stop where the reserve begins
 * and are deferred; the sync stops just short of the limit, so that a verification listing still finds its pages.
 * PagerDuty's ratelimit-* headers are honoured too, since other tools may hold the same token.
 */
public final class RestBudget {

    /** Who a call is for. */
    public enum Share {
        /** Verification, a person waiting: the whole limit. */
        VERIFICATION,
        /** The self-healing sync: the whole limit but the pages of one verification listing. */
        SYNC,
        /** Lookups that can be deferred: the limit less the reserve. */
        SPARE
    }

    /** The part of the window kept for verification and the sync: a run of the sync makes at most 150 calls (of 240). */
    static final double RESERVED_SHARE = 0.25;
    /** PagerDuty's REST window. */
    static final long WINDOW_MILLIS = 60_000;

    private final int configuredLimit;
    private final LongSupplier clockMillis;
    private final RestRateLimit pagerDuty;
    /**
     * When each call of the last window ended. Counting from the end of a call, not its start, keeps the bundle's
     * window behind PagerDuty's, which counts a call when it arrives there.
     */
    private final Deque<Long> ended = new ArrayDeque<>();
    private int inFlight;
    private final AtomicLong calls = new AtomicLong();

    public RestBudget(int limitPerMinute) {
        this(limitPerMinute, System::currentTimeMillis);
    }

    RestBudget(int limitPerMinute, LongSupplier clockMillis) {
        if (limitPerMinute < 1) {
            throw new IllegalArgumentException("the REST limit must be at least 1 a minute, was " + limitPerMinute);
        }
        this.configuredLimit = limitPerMinute;
        this.clockMillis = clockMillis;
        this.pagerDuty = new RestRateLimit(clockMillis);
    }

    /** A call this share may make now (close the ticket when its answer is in), or empty when it must wait. */
    public synchronized Optional<Ticket> take(Share share) {
        if (!allows(share)) {
            return Optional.empty();
        }
        inFlight++;
        calls.incrementAndGet();
        return Optional.of(new Ticket());
    }

    /** Whether this share may make a call now (take() may still refuse one if another caller is faster). */
    public synchronized boolean allows(Share share) {
        int keep = kept(share, limit());
        return used() < limit() - keep && pagerDuty.allows(keep, inFlight);
    }

    /** The requests of each window this share leaves to the others. */
    static int kept(Share share, int limit) {
        return switch (share) {
            case VERIFICATION -> 0;
            case SYNC -> Math.min(IncidentListing.MAX_INCIDENTS / IncidentListing.PAGE, reserve(limit) / 2);
            case SPARE -> reserve(limit);
        };
    }

    /** Records what PagerDuty's answer said about the token's budget. */
    public void observe(int status, String limitHeader, String remainingHeader, String resetHeader) {
        pagerDuty.observe(status, limitHeader, remainingHeader, resetHeader);
    }

    /** The token's requests a minute: the configured limit, or PagerDuty's when it says less. */
    public int limit() {
        int said = pagerDuty.limit();
        return said > 0 ? Math.min(configuredLimit, said) : configuredLimit;
    }

    /** Requests kept for verification and the sync in every window. */
    static int reserve(int limit) {
        return (int) Math.ceil(limit * RESERVED_SHARE);
    }

    /** Requests left in PagerDuty's window as it last said (-1: not known yet). */
    public int remaining() {
        return pagerDuty.remaining();
    }

    /** REST calls started since the bundle started. */
    public long calls() {
        return calls.get();
    }

    /** Calls ended within the last window, and those under way. */
    private int used() {
        long since = clockMillis.getAsLong() - WINDOW_MILLIS;
        while (!ended.isEmpty() && ended.peekFirst() <= since) {
            ended.pollFirst();
        }
        return ended.size() + inFlight;
    }

    /** One call's place in the window. */
    public final class Ticket implements AutoCloseable {
        private boolean closed;

        private Ticket() {
        }

        @Override
        public void close() {
            synchronized (RestBudget.this) {
                if (!closed) {
                    closed = true;
                    inFlight--;
                    ended.addLast(clockMillis.getAsLong());
                }
            }
        }
    }
}
