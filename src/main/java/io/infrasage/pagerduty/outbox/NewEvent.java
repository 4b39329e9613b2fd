package io.infrasage.pagerduty.outbox;

/** An Events API event to queue for one routing key, in order after the anomaly's earlier ones. */
public record NewEvent(String routingKey, String team, String action, String body) {
}
