package io.infrasage.pagerduty.outbox.kafka;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A request whose answer must be fresher than the asking (a topic's end offsets), sent one at a time: callers that arrive
 * while one is out share the next, sent as soon as that one is answered. Under load that is one request per round trip
 * instead of one per caller, and an outage never piles requests up.
 */
final class CoalescedRequest<T> {

    private final Supplier<CompletableFuture<T>> send;
    /** The request last sent: out while not done. */
    private CompletableFuture<T> out;
    /** What the callers that came after {@link #out} was sent wait for: the next request's answer. */
    private CompletableFuture<T> next;

    CoalescedRequest(Supplier<CompletableFuture<T>> send) {
        this.send = send;
    }

    /** The answer to a request sent after this call. */
    synchronized CompletableFuture<T> askedFromNow() {
        if (out == null || out.isDone()) {
            out = sent();
            return out;
        }
        if (next == null) {
            next = new CompletableFuture<>();
        }
        return next;
    }

    private CompletableFuture<T> sent() {
        CompletableFuture<T> sent;
        try {
            sent = send.get();
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        // an answer already in runs answered() at once, on this thread: hence a request counts as out only while not done
        sent.whenComplete((answer, failure) -> answered());
        return sent;
    }

    private void answered() {
        CompletableFuture<T> waiting;
        CompletableFuture<T> sent;
        synchronized (this) {
            waiting = next;
            if (waiting == null) {
                return;
            }
            next = null;
            out = sent();
            sent = out;
        }
        sent.whenComplete((answer, failure) -> {
            if (failure != null) {
                waiting.completeExceptionally(failure);
            } else {
                waiting.complete(answer);
            }
        });
    }
}
