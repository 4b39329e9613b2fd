package io.infrasage.pagerduty.sandbox;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Failures PagerDuty's Events API really produces, injected on demand, plus counters of what was answered.
 *
 * <p>{@link #respond} and {@link #delay} are consumed one per Events API request, in the order they were added.
 * A response fault means the event is <em>not</em> ingested (as with a real 429/5xx); a delay fault ingests the event
 * at once and only holds back the answer, which is how a client ends up timing out on an event PagerDuty already has.
 */
public final class Faults {

    /** Opens and closes the listening socket; implemented by the sandbox. */
    interface Listener {
        CompletionStage<Void> stopListening();

        CompletionStage<Void> startListening();
    }

    /**
     * What to do to one request: answer {@code status} instead of processing (when not null), after {@code delay}; a
     * {@code lost} event is validated and answered 202 as usual, then dropped instead of ingested.
     */
    record Planned(Integer status, Integer retryAfterSeconds, Duration delay, boolean lost) {
    }

    private static final class Pending<T> {
        final T value;
        final Integer retryAfterSeconds;
        int remaining;

        Pending(T value, Integer retryAfterSeconds, int remaining) {
            this.value = value;
            this.retryAfterSeconds = retryAfterSeconds;
            this.remaining = remaining;
        }
    }

    private final Listener listener;
    private final Deque<Pending<Integer>> responses = new ArrayDeque<>();
    private final Deque<Pending<Duration>> delays = new ArrayDeque<>();
    private final Deque<Pending<Boolean>> losses = new ArrayDeque<>();
    private final List<Integer> statuses = new ArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile boolean down;

    Faults(Listener listener) {
        this.listener = listener;
    }

    /** The next {@code count} Events API requests get {@code status}: 429 (PagerDuty's throttle body) or any 5xx. */
    public Faults respond(int status, int count) {
        return add(status, count, null);
    }

    /** Like {@link #respond(int, int)} with a {@code Retry-After: retryAfterSeconds} header. */
    public Faults respond(int status, int count, int retryAfterSeconds) {
        if (retryAfterSeconds < 0) {
            throw new IllegalArgumentException("retry_after must not be negative");
        }
        return add(status, count, retryAfterSeconds);
    }

    /** The next {@code count} Events API answers are held back for {@code delay}. */
    public synchronized Faults delay(Duration delay, int count) {
        if (delay.isNegative() || count < 1) {
            throw new IllegalArgumentException("delay must be positive and count at least 1");
        }
        delays.addLast(new Pending<>(delay, null, count));
        return this;
    }

    /**
     * The next {@code count} valid Events API requests are answered 202 as usual and then lost: no incident changes, no
     * webhook. What a client cannot tell from a success (an event lost in transit inside PagerDuty).
     */
    public synchronized Faults lose(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1");
        }
        losses.addLast(new Pending<>(Boolean.TRUE, null, count));
        return this;
    }

    /** Closes the port: clients get "connection refused" until {@link #up()}. Blocks until closed. */
    public Faults down() {
        listener.stopListening().toCompletableFuture().join();
        down = true;
        return this;
    }

    /** Listens again on the same port. Blocks until it accepts connections. */
    public Faults up() {
        listener.startListening().toCompletableFuture().join();
        down = false;
        return this;
    }

    /** Forgets pending response and delay faults, and comes back up if down. */
    public Faults clear() {
        clearPending();
        if (down) {
            up();
        }
        return this;
    }

    public boolean isDown() {
        return down;
    }

    /** Events API requests received, whatever their answer (connection-refused attempts never arrive). */
    public int requestCount() {
        return requests.get();
    }

    /** Every status the Events API answered, in order. */
    public synchronized List<Integer> statuses() {
        return List.copyOf(statuses);
    }

    public synchronized int statusCount(int status) {
        return (int) statuses.stream().filter(s -> s == status).count();
    }

    // ---------------------------------------------------------------------------------------------------------------

    synchronized void clearPending() {
        responses.clear();
        delays.clear();
        losses.clear();
    }

    void markDown(boolean isDown) {
        this.down = isDown;
    }

    /** Called once per Events API request: counts it and consumes the next pending faults. */
    synchronized Planned next() {
        requests.incrementAndGet();
        Pending<Integer> response = take(responses);
        Pending<Duration> delay = take(delays);
        Pending<Boolean> loss = take(losses);
        return new Planned(response == null ? null : response.value,
                response == null ? null : response.retryAfterSeconds,
                delay == null ? Duration.ZERO : delay.value, loss != null);
    }

    synchronized void answered(int status) {
        statuses.add(status);
    }

    private synchronized Faults add(int status, int count, Integer retryAfterSeconds) {
        if (status != 429 && (status < 500 || status > 599)) {
            throw new IllegalArgumentException("PagerDuty's Events API fails with 429 or 5xx, not " + status);
        }
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1");
        }
        responses.addLast(new Pending<>(status, retryAfterSeconds, count));
        return this;
    }

    private static <T> Pending<T> take(Deque<Pending<T>> queue) {
        Pending<T> head = queue.peekFirst();
        if (head == null) {
            return null;
        }
        if (--head.remaining == 0) {
            queue.pollFirst();
        }
        return head;
    }
}
