package io.infrasage.pagerduty;

import java.time.Duration;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The bundle's own series on /observe/metrics (Prometheus), bound to Camel's meter registry once Camel has started.
 * Before that (and in a host without metrics) recording is a no-op.
 */
public final class BundleMetrics {

    private volatile MeterRegistry registry;

    public void bind(MeterRegistry registry) {
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** anomalies by outcome: sent, queued, suppressed, rejected, duplicate, already_resolved, invalid. */
    public void anomaly(String outcome) {
        count("infrasage_anomalies", "Anomalies received, by outcome", "outcome", outcome);
    }

    /** PagerDuty Events API calls by HTTP status (or "no_answer"), with latency. */
    public void pagerDutyCall(String status, Duration latency) {
        MeterRegistry r = registry;
        if (r != null) {
            Timer.builder("infrasage_pagerduty_requests").description("Events API v2 requests by status")
                    .tag("status", status).publishPercentiles(0.5, 0.99).register(r).record(latency);
        }
    }

    /** Events given up because PagerDuty refused them (400): never silent. */
    public void pagerDutyRejected() {
        count("infrasage_pagerduty_rejected", "Events PagerDuty refused as invalid (not retried)", "reason", "invalid_event");
    }

    /** Webhooks by event type and outcome: processed, duplicate, refused, invalid, unavailable. */
    public void webhook(String eventType, String outcome) {
        MeterRegistry r = registry;
        if (r != null) {
            Counter.builder("infrasage_webhooks").description("PagerDuty webhooks by type and outcome")
                    .tag("event_type", eventType).tag("outcome", outcome).register(r).increment();
        }
    }

    public void gauge(String name, String description, Supplier<Number> value) {
        MeterRegistry r = registry;
        if (r != null) {
            Gauge.builder(name, value).description(description).register(r);
        }
    }

    private void count(String name, String description, String tag, String value) {
        MeterRegistry r = registry;
        if (r != null) {
            Counter.builder(name).description(description).tag(tag, value).register(r).increment();
        }
    }
}
