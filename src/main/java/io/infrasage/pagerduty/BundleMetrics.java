package io.infrasage.pagerduty;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The bundle's own series on /observe/metrics (Prometheus), bound to Camel's meter registry once Camel has started.
 * Before that (and in a host without metrics) recording is a no-op.
 */
public final class BundleMetrics {

    /**
     * What POST /api/v1/anomalies answered; rejected = refused as invalid (400), not_routed = no routing key (500),
     * inhibited = a symptom held back by symptom inhibition.
     */
    public static final List<String> ANOMALY_OUTCOMES = List.of("sent", "queued", "failed", "suppressed", "duplicate", "already_resolved", "rejected",
            "not_routed", "inhibited");

    /** What a page found in incident memory: attached, none for its service, unavailable (view stale: ClickHouse down). */
    public static final List<String> PAGE_MEMORY_OUTCOMES = List.of("attached", "none", "unavailable");

    /** A webhook's REST lookup: deferred for want of budget, completed later, or dropped (too many waiting). */
    public static final List<String> WEBHOOK_LOOKUP_OUTCOMES = List.of("deferred", "completed", "dropped");

    /** How a run of the self-healing sync ended: completed, partial (stopped to spare the REST budget), failed, standby. */
    public static final List<String> RECONCILE_RUN_OUTCOMES = List.of("completed", "partial", "failed", "standby");

    /** What the self-healing sync did: a lost resolve sent again, or the change of a webhook that never came written. */
    public static final List<String> RECONCILE_ACTIONS = List.of("resolve_resent", "acknowledged", "unacknowledged",
            "resolved", "reopened");

    private volatile MeterRegistry registry;
    /**
     * The meters counted once or more per anomaly, by tag value: registering through a builder on every call built
     * its tags and looked the meter up again each time.
     */
    private final Map<String, Counter> anomalyCounters = new ConcurrentHashMap<>();
    private final Map<String, Timer> pagerDutyTimers = new ConcurrentHashMap<>();
    private final AtomicLong webhooksRefusedInARow = new AtomicLong();

    /**
     * Series with a fixed set of labels are exported from the start, at 0: Prometheus' rate() and increase() only see
     * an event that happens after the series exists, so the first rejected anomaly would otherwise go unnoticed.
     */
    public void bind(MeterRegistry registry) {
        anomalyCounters.clear();
        pagerDutyTimers.clear();
        this.registry = registry;
        ANOMALY_OUTCOMES.forEach(outcome -> anomalies(registry, outcome));
        rejections(registry);
        for (String outcome : List.of("refused", "too_large")) {
            webhooks(registry, "unverified", outcome);
        }
        webhooks(registry, "unparseable", "invalid");
        shedCounter(registry);
        PAGE_MEMORY_OUTCOMES.forEach(outcome -> pageMemoryLookups(registry, outcome));
        RECONCILE_RUN_OUTCOMES.forEach(outcome -> reconcileRuns(registry, outcome));
        RECONCILE_ACTIONS.forEach(action -> reconcileActions(registry, action));
        WEBHOOK_LOOKUP_OUTCOMES.forEach(outcome -> webhookLookups(registry, outcome));
        gauge("infrasage_webhooks_refused_in_a_row", "Webhook deliveries refused (forged or signed with another secret) "
                + "since the last one accepted: PagerDuty disables a subscription after 3", webhooksRefusedInARow::get);
    }

    /** Anomalies by outcome, one of {@link #ANOMALY_OUTCOMES}. */
    public void anomaly(String outcome) {
        MeterRegistry r = registry;
        if (r != null) {
            anomalyCounters.computeIfAbsent(outcome, o -> anomalies(r, o)).increment();
        }
    }

    private static Counter anomalies(MeterRegistry r, String outcome) {
        return Counter.builder("infrasage_anomalies").description("Anomalies received, by outcome").tag("outcome", outcome).register(r);
    }

    /** PagerDuty Events API calls by HTTP status (or "no_answer"), with latency. */
    public void pagerDutyCall(String status, Duration latency) {
        MeterRegistry r = registry;
        if (r != null) {
            pagerDutyTimers.computeIfAbsent(status, st -> Timer.builder("infrasage_pagerduty_requests")
                    .description("Events API v2 requests by status").tag("status", st).publishPercentiles(0.5, 0.99).register(r))
                    .record(latency);
        }
    }

    /** Events given up because PagerDuty refused them (400): never silent. */
    public void pagerDutyRejected() {
        MeterRegistry r = registry;
        if (r != null) {
            rejections(r).increment();
        }
    }

    private static Counter rejections(MeterRegistry r) {
        return Counter.builder("infrasage_pagerduty_rejected").description("Events PagerDuty refused as invalid (not retried)")
                .tag("reason", "invalid_event").register(r);
    }

    /** Webhooks by event type and outcome: processed, duplicate, refused, invalid, unavailable. */
    public void webhook(String eventType, String outcome) {
        if (outcome.equals("refused")) {
            webhooksRefusedInARow.incrementAndGet();
        } else if (outcome.equals("processed") || outcome.equals("duplicate")) {
            webhooksRefusedInARow.set(0);
        }
        MeterRegistry r = registry;
        if (r != null) {
            webhooks(r, eventType, outcome).increment();
        }
    }

    private static Counter webhooks(MeterRegistry r, String eventType, String outcome) {
        return Counter.builder("infrasage_webhooks").description("PagerDuty webhooks by type and outcome")
                .tag("event_type", eventType).tag("outcome", outcome).register(r);
    }

    /** Requests answered 503 at once because too many were in progress (see Admission). */
    public void shed() {
        MeterRegistry r = registry;
        if (r != null) {
            shedCounter(r).increment();
        }
    }

    private static Counter shedCounter(MeterRegistry r) {
        return Counter.builder("infrasage_http_shed").description("Requests answered 503 at once: too many in progress").register(r);
    }

    /** A page looked its service up in incident memory, with this outcome (one of {@link #PAGE_MEMORY_OUTCOMES}). */
    public void pageMemoryLookup(String outcome) {
        MeterRegistry r = registry;
        if (r != null) {
            pageMemoryLookups(r, outcome).increment();
        }
    }

    private static Counter pageMemoryLookups(MeterRegistry r, String outcome) {
        return Counter.builder("infrasage_page_memory_lookups").description("Pages that looked up incident memory, by outcome")
                .tag("outcome", outcome).register(r);
    }

    /** Refused webhook deliveries since the last accepted one (PagerDuty's 3-strike rule counts the same way). */
    public long webhooksRefusedInARow() {
        return webhooksRefusedInARow.get();
    }

    /** A run of the self-healing sync ended with this outcome (one of {@link #RECONCILE_RUN_OUTCOMES}). */
    public void reconcileRun(String outcome) {
        MeterRegistry r = registry;
        if (r != null) {
            reconcileRuns(r, outcome).increment();
        }
    }

    private static Counter reconcileRuns(MeterRegistry r, String outcome) {
        return Counter.builder("infrasage_reconcile_runs").description("Runs of the self-healing sync, by outcome")
                .tag("outcome", outcome).register(r);
    }

    /** The self-healing sync did this for one anomaly (one of {@link #RECONCILE_ACTIONS}). */
    public void reconcileAction(String action) {
        MeterRegistry r = registry;
        if (r != null) {
            reconcileActions(r, action).increment();
        }
    }

    private static Counter reconcileActions(MeterRegistry r, String action) {
        return Counter.builder("infrasage_reconcile_actions").description("Repairs made by the self-healing sync, by action")
                .tag("action", action).register(r);
    }

    /** A webhook's REST lookup was deferred, completed later, or dropped (one of {@link #WEBHOOK_LOOKUP_OUTCOMES}). */
    public void webhookLookup(String outcome) {
        MeterRegistry r = registry;
        if (r != null) {
            webhookLookups(r, outcome).increment();
        }
    }

    private static Counter webhookLookups(MeterRegistry r, String outcome) {
        return Counter.builder("infrasage_webhook_lookups").description("Webhooks' REST lookups deferred for want of REST "
                + "budget, completed later, or dropped").tag("outcome", outcome).register(r);
    }

    /** A count kept elsewhere, read when scraped (Prometheus adds _total). */
    public void counter(String name, String description, LongSupplier count) {
        MeterRegistry r = registry;
        if (r != null) {
            FunctionCounter.builder(name, count, LongSupplier::getAsLong).description(description).register(r);
        }
    }

    public void gauge(String name, String description, Supplier<Number> value) {
        MeterRegistry r = registry;
        if (r != null) {
            Gauge.builder(name, value).description(description).register(r);
        }
    }

}
