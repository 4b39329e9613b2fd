package io.infrasage.pagerduty.outbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What to do with PagerDuty's answer to one event. PagerDuty's contract: 202 queued; 400 invalid event (retrying
 * cannot help); 429 not ingested, retry later (about 30 s apart); 5xx and network errors, retry with backoff.
 * Any other status is retried too: a page is only ever given up when PagerDuty itself says the event is invalid.
 */
public final class DeliveryPolicy {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Status used for a request that got no HTTP answer (refused, reset, timed out). */
    public static final int NO_ANSWER = -1;

    private final Duration initialDelay;
    private final Duration maxDelay;
    private final Duration throttledDelay;

    public DeliveryPolicy(Duration initialDelay, Duration maxDelay, Duration throttledDelay) {
        this.initialDelay = initialDelay;
        this.maxDelay = maxDelay;
        this.throttledDelay = throttledDelay;
    }

    public sealed interface Decision permits Delivered, Rejected, Retry {
    }

    public record Delivered() implements Decision {
    }

    public record Rejected(String reason) implements Decision {
    }

    public record Retry(Duration delay, String reason) implements Decision {
    }

    /**
     * @param status     HTTP status, or NO_ANSWER
     * @param retryAfter the Retry-After header (seconds), or null
     * @param attempts   attempts already made before this one
     */
    public Decision decide(int status, String retryAfter, int attempts, String detail) {
        if (status >= 200 && status < 300) {
            return new Delivered();
        }
        if (status == 400) {
            return new Rejected("PagerDuty refused the event (400): " + explain(detail));
        }
        Duration after = retryAfter(retryAfter);
        if (status == 429) {
            return new Retry(after != null ? after : throttledDelay, "throttled by PagerDuty (429)");
        }
        String reason = status == NO_ANSWER ? "no answer from PagerDuty: " + detail : "PagerDuty answered " + status;
        return new Retry(after != null ? after : backoff(attempts), reason);
    }

    /** Exponential backoff with up to 20% jitter, so a fleet of queued events does not retry in lock step. */
    Duration backoff(int attempts) {
        long base = initialDelay.toMillis() << Math.min(attempts, 20);
        long capped = Math.min(base, maxDelay.toMillis());
        long jitter = (long) (capped * 0.2 * ThreadLocalRandom.current().nextDouble());
        return Duration.ofMillis(Math.min(capped + jitter, maxDelay.toMillis()));
    }

    /** PagerDuty's 400 body as a sentence: its message and each error; the raw text when it is not PagerDuty's JSON. */
    static String explain(String body) {
        try {
            JsonNode json = JSON.readTree(body);
            if (json != null && json.hasNonNull("message")) {
                List<String> errors = new ArrayList<>();
                json.path("errors").forEach(err -> errors.add(err.asText()));
                return json.get("message").asText() + (errors.isEmpty() ? "" : ": " + String.join("; ", errors));
            }
        } catch (Exception notJson) {
            // fall through to the raw text
        }
        return body;
    }

    static Duration retryAfter(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        try {
            long seconds = Long.parseLong(header.trim());
            return seconds >= 0 ? Duration.ofSeconds(seconds) : null;
        } catch (NumberFormatException e) {
            return null; // an HTTP date: fall back to our own backoff
        }
    }
}
