package io.infrasage.pagerduty.outbox;

import java.time.Duration;

import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.DependencyState;
import org.apache.camel.Exchange;

/**
 * The outcome step of routes/pagerduty-delivery.camel.yaml: what PagerDuty's answer to one attempt means by
 * {@link DeliveryPolicy} (delivered, retry later, refused), put on the exchange for the outbox consumer, which
 * completes or reschedules the event. The call is counted in the metrics and tells whether PagerDuty is up.
 */
public final class DeliveryOutcome {

    /** The {@link DeliveryPolicy.Decision}, as an exchange property the outbox consumer reads. */
    public static final String DECISION = "CamelOutboxDecision";
    /** The decision as a header for the route's later steps: delivered, retry or refused. */
    public static final String OUTCOME = "CamelOutboxOutcome";

    private final DeliveryPolicy policy;
    private final BundleMetrics metrics;
    private final DependencyState pagerDuty;

    /** @param pagerDuty told after every call whether PagerDuty answered (a 5xx or no answer: it is down) */
    public DeliveryOutcome(DeliveryPolicy policy, BundleMetrics metrics, DependencyState pagerDuty) {
        this.policy = policy;
        this.metrics = metrics;
        this.pagerDuty = pagerDuty;
    }

    /** PagerDuty's answer is the HTTP status; an exchange without one (refused, reset, timed out, a step threw) had none. */
    public void record(Exchange exchange) {
        Integer code = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        Exception failure = exchange.getException();
        int status = code == null ? DeliveryPolicy.NO_ANSWER : code;
        String detail = code != null ? exchange.getMessage().getBody(String.class)
                : failure == null ? "the delivery route made no call" : failure.getClass().getSimpleName() + ": " + failure.getMessage();
        String retryAfter = code == null ? null : exchange.getMessage().getHeader("Retry-After", String.class);
        metrics.pagerDutyCall(code == null ? "no_answer" : Integer.toString(status), Duration.ofMillis(exchange.getClock().elapsed()));
        if (code == null || status >= 500) {
            pagerDuty.down(code == null ? detail : "HTTP " + status);
        } else {
            pagerDuty.up();
        }
        int attempt = exchange.getMessage().getHeader(OutboxConsumer.ATTEMPT, 1, Integer.class);
        DeliveryPolicy.Decision decision = policy.decide(status, retryAfter, attempt - 1, detail);
        exchange.setProperty(DECISION, decision);
        exchange.getMessage().setHeader(OUTCOME, decision instanceof DeliveryPolicy.Delivered ? "delivered"
                : decision instanceof DeliveryPolicy.Rejected ? "refused" : "retry");
    }
}
