package io.infrasage.pagerduty.sandbox;

import java.time.Instant;

/**
 * One HTTP attempt to deliver a webhook.
 *
 * @param attempt 1 for the first try of a delivery, 2 for its first retry, ... (a redelivery starts again at 1)
 * @param status  the receiver's HTTP status, or -1 for a timeout or connection error
 * @param error   why there is no status (exception text), otherwise null
 */
public record WebhookAttempt(String subscriptionId, String eventId, String eventType, String deliveryId, int attempt,
                             int status, String error, Instant at) {
}
