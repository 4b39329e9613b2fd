package io.infrasage.pagerduty.tracing;

import java.util.List;

import io.infrasage.pagerduty.anomaly.Anomaly;
import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.outbox.OutboxConsumer;
import io.infrasage.pagerduty.webhook.WebhookHandler;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;

/**
 * Route steps that name what the current route's span is about: the anomaly an accept decided, the delivery attempt
 * a send made, the incident a webhook changed. Camel's tracer makes the spans; with tracing off every call is a no-op.
 */
public final class SpanAttributes {

    public static final AttributeKey<String> ANOMALY_ID = AttributeKey.stringKey("infrasage.anomaly.id");
    public static final AttributeKey<String> SERVICE = AttributeKey.stringKey("infrasage.anomaly.service");
    public static final AttributeKey<String> SEVERITY = AttributeKey.stringKey("infrasage.anomaly.severity");
    public static final AttributeKey<List<String>> TEAMS = AttributeKey.stringArrayKey("infrasage.anomaly.teams");
    public static final AttributeKey<String> ACTION = AttributeKey.stringKey("pagerduty.action");
    public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("pagerduty.attempt");
    public static final AttributeKey<Long> PACE_WAIT = AttributeKey.longKey("pagerduty.pace_wait_ms");
    public static final AttributeKey<Long> STATUS = AttributeKey.longKey("pagerduty.status");
    public static final AttributeKey<String> INCIDENT_ID = AttributeKey.stringKey("pagerduty.incident.id");
    public static final AttributeKey<String> WEBHOOK_EVENT = AttributeKey.stringKey("pagerduty.webhook.event_type");
    public static final AttributeKey<List<String>> ANOMALY_IDS = AttributeKey.stringArrayKey("infrasage.anomaly.ids");

    /** anomaly-decision, once the teams are chosen: the accept of one anomaly. */
    public void accepted(@Body Anomaly a, @Header("severity") String severity, @Header("teams") List<RoutingTarget> teams) {
        Span span = Span.current();
        span.setAttribute(ANOMALY_ID, a.anomalyId());
        span.setAttribute(SERVICE, a.service());
        span.setAttribute(SEVERITY, severity);
        span.setAttribute(TEAMS, teams == null ? List.of() : teams.stream().map(RoutingTarget::team).toList());
    }

    /** pagerduty-delivery, before the call: which attempt this is, and how long the pace held it back. */
    public void attempt(@Header(OutboxConsumer.ANOMALY_ID) String anomalyId, @Header(OutboxConsumer.ACTION) String action,
                        @Header(OutboxConsumer.ATTEMPT) Integer attempt, @Header(OutboxConsumer.PACE_WAIT_MILLIS) Long paceWaitMillis) {
        Span span = Span.current();
        if (anomalyId != null) {
            span.setAttribute(ANOMALY_ID, anomalyId);
        }
        if (action != null) {
            span.setAttribute(ACTION, action);
        }
        if (attempt != null) {
            span.setAttribute(ATTEMPT, attempt.longValue());
        }
        if (paceWaitMillis != null) {
            span.setAttribute(PACE_WAIT, paceWaitMillis);
        }
    }

    /** pagerduty-delivery, after the call: PagerDuty's answer. */
    public void answered(@Header(Exchange.HTTP_RESPONSE_CODE) Integer status) {
        if (status != null) {
            Span.current().setAttribute(STATUS, status.longValue());
        }
    }

    /** pagerduty-webhook, once its anomalies are known: the incident and the anomalies it concerns. */
    public void webhook(@Body WebhookHandler.Outcome outcome) {
        Span span = Span.current();
        if (outcome.event().incidentId() != null) {
            span.setAttribute(INCIDENT_ID, outcome.event().incidentId());
        }
        span.setAttribute(WEBHOOK_EVENT, outcome.event().type());
        span.setAttribute(ANOMALY_IDS, outcome.anomalyIds());
    }
}
