package io.infrasage.pagerduty.outbox;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What the accept path sees of delivery: a nudge for the outbox consumer to look now, and PagerDuty's answers to the
 * events it just queued, for a caller that waits for them (INFRASAGE_DELIVERY_WAIT).
 */
public final class Deliveries {

    private final Map<Long, CompletableFuture<Boolean>> waiters = new ConcurrentHashMap<>();
    private volatile Runnable wake = () -> { };

    /** Something was queued or finished: look at the outbox now instead of at the next timed poll. */
    public void wake() {
        wake.run();
    }

    /** The running outbox consumer's wake; a no-op while none runs (it looks at every key when it starts). */
    void wakeWith(Runnable wake) {
        this.wake = wake;
    }

    /** Completes with true once the event with this sequence number is delivered, false if PagerDuty refused it. */
    public CompletableFuture<Boolean> delivery(long seq) {
        return waiters.computeIfAbsent(seq, s -> new CompletableFuture<>());
    }

    /**
     * Waits up to {@code wait} for PagerDuty's answers to these events: "sent" when every one was accepted, "failed" when
     * PagerDuty refused one (400), else "queued" (still in the outbox, being retried).
     */
    public String outcome(List<Long> seqs, Duration wait) {
        if (wait.isZero() || seqs.isEmpty()) {
            return "queued";
        }
        CompletableFuture<?>[] all = seqs.stream().map(this::delivery).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(all).get(wait.toMillis(), TimeUnit.MILLISECONDS);
            for (CompletableFuture<?> f : all) {
                if (!Boolean.TRUE.equals(f.get())) {
                    return "failed";
                }
            }
            return "sent";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "queued";
        } catch (Exception e) {
            return "queued";
        }
    }

    void finish(long seq, boolean delivered) {
        CompletableFuture<Boolean> f = waiters.remove(seq);
        if (f != null) {
            f.complete(delivered);
        }
    }
}
