package io.infrasage.pagerduty.outbox;

/**
 * One Events API v2 event waiting for PagerDuty: ordered by seq within its (dedup key, routing key).
 * {@code traceparent}: the trace of the request that queued it, or null.
 */
public record OutboxEvent(long seq, String anomalyId, String dedupKey, String routingKey, String team, String action,
                          String body, int attempts, long createdAtMillis, String traceparent) {

    public String orderKey() {
        return dedupKey + "\n" + routingKey;
    }
}
