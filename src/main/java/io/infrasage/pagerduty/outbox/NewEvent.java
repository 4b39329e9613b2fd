package io.infrasage.pagerduty.outbox;

import io.infrasage.pagerduty.tracing.Traceparent;

/**
 * An Events API event to queue for one routing key, in order after the anomaly's earlier ones. {@code traceparent}:
 * the trace its delivery joins (null without tracing).
 */
public record NewEvent(String routingKey, String team, String action, String body, String traceparent) {

    /** An event of the trace current on this thread: the request or route that queues it. */
    public NewEvent(String routingKey, String team, String action, String body) {
        this(routingKey, team, action, body, Traceparent.current());
    }
}
