package io.infrasage.pagerduty;

import java.util.List;
import java.util.Optional;

import io.infrasage.pagerduty.anomaly.AnomalyBatch;
import io.infrasage.pagerduty.anomaly.AnomalyDecisions;
import io.infrasage.pagerduty.anomaly.AnomalyFollowUps;
import io.infrasage.pagerduty.anomaly.AnomalyParser;
import io.infrasage.pagerduty.anomaly.AnomalyService;
import io.infrasage.pagerduty.anomaly.PageComposer;
import io.infrasage.pagerduty.anomaly.PageNotRouted;
import io.infrasage.pagerduty.clickhouse.ClickHouse;
import io.infrasage.pagerduty.clickhouse.ClickHouseWriter;
import io.infrasage.pagerduty.clickhouse.SchemaMigrator;
import io.infrasage.pagerduty.clickhouse.StateQueries;
import io.infrasage.pagerduty.inhibition.RootCauseNotes;
import io.infrasage.pagerduty.inhibition.SymptomInhibition;
import io.infrasage.pagerduty.memory.IncidentMemoryLoader;
import io.infrasage.pagerduty.memory.IncidentMemoryView;
import io.infrasage.pagerduty.memory.PageMemory;
import io.infrasage.pagerduty.memory.PageMemoryRows;
import io.infrasage.pagerduty.rest.IncidentListing;
import io.infrasage.pagerduty.rest.BundleServices;
import io.infrasage.pagerduty.rest.PagerDutyApi;
import io.infrasage.pagerduty.rest.RestBudget;
import io.infrasage.pagerduty.sync.IncidentReconciler;
import io.infrasage.pagerduty.sync.ReconcileTurn;
import io.infrasage.pagerduty.sync.WebhookSubscriptionWatch;
import io.infrasage.pagerduty.webhook.WebhookHandler;
import io.infrasage.pagerduty.webhook.WebhookSignatureVerifier;
import io.infrasage.pagerduty.config.BundleSettings;
import io.infrasage.pagerduty.http.BearerTokenCheck;
import io.infrasage.pagerduty.http.ErrorResponses;
import io.infrasage.pagerduty.http.JsonRequests;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.Deliveries;
import io.infrasage.pagerduty.outbox.DeliveryOutcome;
import io.infrasage.pagerduty.outbox.DeliveryPolicy;
import io.infrasage.pagerduty.outbox.Outbox;
import io.infrasage.pagerduty.outbox.OneRequestPerAttempt;
import io.infrasage.pagerduty.outbox.OutboxComponent;
import io.infrasage.pagerduty.outbox.OutboxSettlement;
import io.infrasage.pagerduty.outbox.RoutingKeyPace;
import io.infrasage.pagerduty.outbox.RowSpool;
import io.infrasage.pagerduty.outbox.ClickHouseSpool;
import io.infrasage.pagerduty.outbox.kafka.KafkaClients;
import io.infrasage.pagerduty.outbox.kafka.KafkaQueue;
import io.infrasage.pagerduty.outbox.kafka.KafkaReconcileTurn;
import io.infrasage.pagerduty.outbox.kafka.KafkaTopics;
import io.infrasage.pagerduty.outbox.kafka.RowsTopicBatch;
import io.infrasage.pagerduty.outbox.local.LocalStore;
import io.infrasage.pagerduty.tracing.BundleTracing;
import io.infrasage.pagerduty.tracing.SpanAttributes;
import io.infrasage.pagerduty.http.ApiServerGuards;
import io.infrasage.pagerduty.http.HttpServerDefaults;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.Predicate;
import org.apache.camel.StartupListener;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and validates the settings (start-up fails here, naming every bad one) and binds the beans the route files
 * use. A host Camel Main application picks this class up with camel.main.base-package-scan=io.infrasage.pagerduty; a
 * Spring Boot host gets it through SpringBootBundleConfiguration.
 */
@Configuration
public class BundleConfiguration implements CamelConfiguration {

    /**
     * routes/error-handling.camel.yaml retries while this holds (bean "bundleRunning"): a simple
     * "${camelContext.status.started}" would introspect the whole CamelContext class for every step it guards.
     */
    public static final Predicate BUNDLE_RUNNING = exchange -> exchange.getContext().getStatus().isStarted();

    private static final Logger LOG = LoggerFactory.getLogger(BundleConfiguration.class);
    /**
     * Vert.x worker threads that run the HTTP routes (platform-http hands every request to one). Vert.x's default of 20
     * would cap how many webhooks share one ClickHouse batch and how many accepts share one outbox fsync: requests are
     * blocked there, not computing, so more of them in flight means bigger batches, not more CPU.
     */
    static final int HTTP_WORKERS = 64;
    /** routes/pagerduty-sync.camel.yaml: not started by itself, only when the self-healing sync is on. */
    static final String SYNC_ROUTE = "pagerduty-sync";
    /** routes/clickhouse-spool.camel.yaml: started in local mode only. */
    static final String SPOOL_ROUTE = "clickhouse-spool";
    /** Routes ClickHouse needs (routes/<id>.camel.yaml): a routes folder kept from an older release may lack them. */
    static final List<String> CLICKHOUSE_ROUTES = List.of("clickhouse-writes", "clickhouse-schema");

    @Override
    public void configure(CamelContext camel) throws Exception {
        configure(camel, BundleSettings.load(camel.getPropertiesComponent()::resolveProperty, System::getenv));
    }

    /** Binds the bundle into any host's Camel context, with settings the host read (a Spring Boot host: from its Environment). */
    public void configure(CamelContext camel, BundleSettings s) throws Exception {
        if (s.webhookInsecure && s.webhookSecrets.isEmpty()) {
            LOG.warn("PAGERDUTY_WEBHOOK_INSECURE=true: webhooks are accepted WITHOUT signature verification. "
                    + "Anyone who can reach port 9093 can forge incident updates. Never run production like this.");
        }
        if (s.ingestInsecure && s.ingestToken.isEmpty()) {
            LOG.warn("INFRASAGE_API_INSECURE=true: the anomaly, resolve and verification endpoints need no token. "
                    + "Anyone who can reach port 9093 can page on-call, resolve incidents and list them. Never run production like this.");
        }
        // the route files read these placeholders: pin them to the validated values, also in a host without our properties
        var properties = camel.getPropertiesComponent();
        properties.addOverrideProperty("pagerduty.events-url", s.eventsUrl.toString());
        properties.addOverrideProperty("pagerduty.change-events-url", s.changeEventsUrl.toString());
        properties.addOverrideProperty("pagerduty.api-url", s.apiUrl.toString());
        BundleTracing.installOn(camel, System::getenv);
        camel.getRegistry().bind("spanAttributes", new SpanAttributes());
        BundleMetrics metrics = new BundleMetrics();
        ClickHouse clickHouse = new ClickHouse(s.clickHouseUrl, s.clickHouseUser, s.clickHousePassword, s.clickHouseDatabase,
                s.clickHouseCluster);
        SchemaMigrator schema = new SchemaMigrator(clickHouse);
        ClickHouseWriter writer = new ClickHouseWriter(clickHouse, schema);
        var registry = camel.getRegistry();
        // the queue: the embedded file (one instance) or Kafka (any number); everything else is the same in both modes
        AnomalyRecords records;
        Outbox outbox;
        RowSpool rowSpool;
        AutoCloseable queue;
        Runnable startQueue;
        ReconcileTurn reconcileTurn;
        Deliveries deliveries = new Deliveries();
        // durable commits of the local file (each one fsync); Kafka mode has no such file
        java.util.function.LongSupplier commits;
        // whether the queue takes writes: the local file's disk, or Kafka
        DependencyState queueState;
        // routes/kafka-clickhouse-rows.camel.yaml exists only in Kafka mode (its precondition reads this)
        properties.addOverrideProperty("infrasage.queue", s.queue);
        if (s.queue.equals("kafka")) {
            // camel-kafka's component configuration: camel.component.kafka.* is bound onto it by Camel, for every client
            KafkaClients clients = KafkaClients.fromCamel(camel, s.kafkaBootstrapServers, s.acceptTimeout);
            KafkaTopics topics = new KafkaTopics(s.kafkaTopicPrefix, s.kafkaPartitions, (short) s.kafkaReplicationFactor);
            // requests waiting for Kafka keep half the HTTP workers at most: the other requests are never queued behind them
            KafkaQueue kafka = new KafkaQueue(clients, topics, HTTP_WORKERS / 2, camel.getExecutorServiceManager());
            RowsTopicBatch rows = new RowsTopicBatch(writer);
            registry.bind("rowsTopicBatch", rows);
            kafka.rowsWaiting(rows::waiting);
            properties.addOverrideProperty("infrasage.kafka-rows-topic", topics.rows());
            properties.addOverrideProperty("infrasage.kafka-rows-group", topics.rowsGroup());
            records = kafka.records();
            outbox = kafka.outbox();
            rowSpool = kafka.spool();
            // exactly one instance reconciles at a time: the one Kafka gives the turn topic's single partition
            KafkaReconcileTurn turn = new KafkaReconcileTurn(clients, topics);
            queue = () -> {
                turn.close();
                kafka.close();
            };
            startQueue = () -> {
                kafka.start(deliveries::wake);
                turn.start(camel.getExecutorServiceManager());
            };
            reconcileTurn = turn;
            commits = null;
            queueState = kafka.state();
        } else {
            LocalStore store = new LocalStore(s.dataDir);
            records = store.records();
            outbox = store.outbox();
            rowSpool = store.spool();
            queue = store;
            startQueue = () -> { };
            reconcileTurn = ReconcileTurn.always();
            commits = store::commits;
            queueState = store.diskState();
        }
        DependencyState pagerDuty = new DependencyState("PagerDuty", "pages wait in the outbox and are retried");
        OutboxSettlement settlement = new OutboxSettlement(outbox, metrics, deliveries);
        // a root cause whose page PagerDuty refused must not hold its symptoms back
        settlement.whenTriggerRefused(records::triggerRefused);
        // routes/pagerduty-delivery.camel.yaml: from outbox:pagerduty, to PagerDuty, then the deliveryOutcome step
        DeliveryOutcome deliveryOutcome = new DeliveryOutcome(
                new DeliveryPolicy(s.retryInitialDelay, s.retryMaxDelay, s.retryThrottledDelay), metrics, pagerDuty);
        registry.bind("deliveryOutcome", deliveryOutcome);
        registry.bind("oneRequestPerAttempt", new OneRequestPerAttempt());
        camel.addComponent("outbox", new OutboxComponent("pagerduty", outbox, deliveries, settlement, deliveryOutcome,
                new RoutingKeyPace(s.rateLimitPerMinute, s.rateLimitBurst), s.concurrency));

        // routes/clickhouse-spool.camel.yaml drains the local spool on a timer (started in local mode only)
        ClickHouseSpool clickHouseSpool = new ClickHouseSpool(rowSpool, writer);
        registry.bind("clickHouseSpool", clickHouseSpool);
        if (registry.findByType(Vertx.class).isEmpty() && registry.findByType(VertxOptions.class).isEmpty()) {
            // only when the host application has not configured Vert.x itself
            registry.bind("infrasageVertxOptions",
                    new HttpServerDefaults(s.httpIdleTimeout).applyTo(new VertxOptions().setWorkerPoolSize(HTTP_WORKERS)));
        }
        registry.bind("bundleSettings", s);
        registry.bind("bundleMetrics", metrics);
        registry.bind("clickHouse", clickHouse);
        registry.bind("bundleRunning", BUNDLE_RUNNING);
        // routes/clickhouse-writes.camel.yaml writes what waits; routes/clickhouse-schema.camel.yaml migrates at start
        registry.bind("clickHouseWriter", writer);
        registry.bind("schemaMigrator", schema);
        AnomalyParser parser = new AnomalyParser(metrics);
        registry.bind("anomalyParser", parser);
        registry.bind("severityPolicy", s.severityPolicy);
        registry.bind("routingRules", s.routingRules);
        PageNotRouted pageNotRouted = new PageNotRouted(metrics);
        registry.bind("pageNotRouted", pageNotRouted);
        PageMemory pageMemory = new PageMemory(s.pageMemory, s.pageMemoryMax, s.pageMemoryRefresh, new IncidentMemoryView(), metrics);
        // one REST budget for the token: verification and the sync first, lookups that can wait from what is left
        PagerDutyApi api = new PagerDutyApi(camel.createProducerTemplate(), s.apiToken, s.apiFrom, new RestBudget(s.apiRateLimitPerMinute));
        BundleServices services = new BundleServices(s.serviceIds, s.routingRules.routingKeys().size());
        RootCauseNotes rootCauseNotes = new RootCauseNotes(api.share(RestBudget.Share.SPARE));
        if (s.inhibitSymptoms && !rootCauseNotes.enabled()) {
            LOG.warn("symptom inhibition is on but PAGERDUTY_API_TOKEN or PAGERDUTY_API_FROM is not set: root causes' incidents "
                    + "get no 'also affected' notes (inhibitions are still recorded in ClickHouse)");
        }
        registry.bind("rootCauseNotes", rootCauseNotes);
        SymptomInhibition symptomInhibition = new SymptomInhibition(s.inhibitSymptoms, s.inhibitWindow, s.routingRules, rootCauseNotes);
        registry.bind("symptomInhibition", symptomInhibition);
        // routes/symptom-inhibition.camel.yaml posts the notes on a timer: its period in milliseconds, as the timer reads it
        properties.addOverrideProperty("infrasage.inhibit-note-interval", Long.toString(s.inhibitNoteInterval.toMillis()));
        AnomalyService anomalyService = new AnomalyService(records, deliveries, rowSpool, s.severityPolicy, new PageComposer(pageMemory),
                metrics, s.deliveryWait, symptomInhibition);
        registry.bind("anomalyService", anomalyService);
        registry.bind("anomalyBatch", new AnomalyBatch(parser, s.batchMax));
        registry.bind("anomalyDecisions", new AnomalyDecisions());
        registry.bind("anomalyFollowUps", new AnomalyFollowUps(records, deliveries, s.deliveryWait));
        registry.bind("ingestAuth", new BearerTokenCheck(s.ingestToken));
        registry.bind("errorResponses", new ErrorResponses());
        StateQueries queries = new StateQueries(clickHouse);
        // routes/incident-memory.camel.yaml refreshes the view on a timer: its period in milliseconds, as the timer reads it
        properties.addOverrideProperty("infrasage.page-memory-refresh", Long.toString(s.pageMemoryRefresh.toMillis()));
        registry.bind("incidentMemoryLoader", new IncidentMemoryLoader(clickHouse, schema, queries, pageMemory));
        registry.bind("stateQueries", queries);
        registry.bind("pagerDutyApi", api);
        registry.bind("incidentListing", new IncidentListing(api, services, queries, clickHouse.table(PageMemoryRows.TABLE)));
        registry.bind("webhookVerifier", new WebhookSignatureVerifier(s.webhookSecrets, s.webhookInsecure, metrics));
        WebhookHandler webhookHandler = new WebhookHandler(writer, queries, records, api, services, metrics, clickHouseSpool::drain);
        registry.bind("webhookHandler", webhookHandler);
        // the self-healing sync (routes/pagerduty-sync.camel.yaml): only with a REST token, and not with a zero interval
        boolean reconcile = api.enabled() && !s.reconcileInterval.isZero();
        properties.addOverrideProperty("infrasage.reconcile-interval", Long.toString(Math.max(1, s.reconcileInterval.toMillis())));
        registry.bind("reconcileTurn", reconcileTurn);
        PagerDutyApi syncApi = api.share(RestBudget.Share.SYNC);
        WebhookSubscriptionWatch subscriptionWatch = new WebhookSubscriptionWatch(syncApi);
        registry.bind("webhookSubscriptionWatch", subscriptionWatch);
        registry.bind("incidentReconciler", new IncidentReconciler(syncApi, services, queries, webhookHandler,
                records, deliveries, metrics, s.reconcileInterval));
        registry.bind("jsonRequests", new JsonRequests());

        GracefulStop gracefulStop = new GracefulStop(s.shutdownDelay);
        camel.getManagementStrategy().addEventNotifier(gracefulStop);
        HealthCheckRegistry health = HealthCheckRegistry.get(camel);
        if (health != null) {
            health.register(new ReadinessChecks.AcceptingCheck(outbox, gracefulStop::isStopping));
            health.register(new ReadinessChecks.DependencyCheck("clickhouse", () -> clickHouseTrouble(clickHouse, schema)));
            health.register(new ReadinessChecks.DependencyCheck("pagerduty",
                    ReadinessChecks.pagerDutyTrouble(pagerDuty, outbox, s.outboxMaxAge)));
        }

        ApiServerGuards guards = new ApiServerGuards(s.httpMaxInFlight, s.httpBodyTimeout,
                properties.resolveProperty("camel.server.max-body-size").map(Long::parseLong).orElse(-1L), metrics,
                gracefulStop::isStopping);
        camel.addStartupListener((context, alreadyStarted) -> {
            if (alreadyStarted) {
                // Camel calls startup listeners again for each route started later (the sync route, a host's own):
                // everything below must happen once
                return;
            }
            guards.installOn(context);
            MeterRegistry meters = context.getRegistry().findSingleByType(MeterRegistry.class);
            if (meters != null) {
                metrics.bind(meters);
                writer.bindMetrics(meters);
                writer.state().bind(meters);
                pagerDuty.bind(meters);
                if (queueState != null) {
                    queueState.bind(meters);
                }
                metrics.gauge("infrasage_outbox_depth", "Events waiting for PagerDuty", outbox::depth);
                metrics.gauge("infrasage_outbox_oldest_age_seconds", "Age of the oldest event waiting for PagerDuty",
                        () -> outbox.oldestQueuedAt().map(t -> (System.currentTimeMillis() - t) / 1000.0).orElse(0.0));
                if (commits != null) {
                    metrics.counter("infrasage_outbox_commits", "Durable commits (each one fsync) of the local outbox file", commits);
                }
                metrics.gauge("infrasage_clickhouse_spool_depth", "State rows waiting for ClickHouse", rowSpool::depth);
                metrics.gauge("infrasage_page_memory_age_seconds", "Seconds since the incident memory view was last refreshed "
                        + "from ClickHouse (-1: not yet)", pageMemory::ageSeconds);
                metrics.gauge("infrasage_webhook_subscriptions_disabled", "Webhook subscriptions PagerDuty lists as inactive "
                        + "(disabled after 3 refused deliveries); -1 until read (needs PAGERDUTY_API_TOKEN)", subscriptionWatch::disabled);
                metrics.gauge("infrasage_pagerduty_api_ratelimit_remaining", "REST API requests left in PagerDuty's window, "
                        + "from its ratelimit-remaining header (-1: not known yet)", () -> api.budget().remaining());
                metrics.counter("infrasage_pagerduty_api_calls", "REST API calls made (each within the token's budget)",
                        () -> api.budget().calls());
                metrics.gauge("infrasage_webhook_lookups_waiting", "Webhooks whose REST lookups wait for the REST budget",
                        webhookHandler::deferredLookups);
                metrics.gauge("infrasage_page_memory_entries", "Past resolutions held in the incident memory view", pageMemory::entries);
            }
            startQueue.run();

            LOG.info("InfraSage PagerDuty bundle ready: {} routing rule(s), events to {}, ClickHouse database {}, outbox {}",
                    s.routingRules.size(), s.eventsUrl, s.clickHouseDatabase,
                    s.queue.equals("kafka") ? "on Kafka " + s.kafkaBootstrapServers : "in " + s.dataDir.toAbsolutePath());
        });
        // routes with autoStartup false that this configuration needs: the sync when on, the local spool in local mode
        List<String> optionalRoutes = new java.util.ArrayList<>();
        if (reconcile) {
            optionalRoutes.add(SYNC_ROUTE);
        }
        if (!s.queue.equals("kafka")) {
            optionalRoutes.add(SPOOL_ROUTE);
        }
        camel.addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) throws Exception {
                for (String route : CLICKHOUSE_ROUTES) {
                    if (context.getRoute(route) == null) {
                        throw new IllegalStateException("route " + route + " is missing: add routes/" + route
                                + ".camel.yaml of this release to the route files, or no row reaches ClickHouse");
                    }
                }
                // once every route has started: a route with autoStartup false started earlier is stopped again
                for (String route : optionalRoutes) {
                    if (context.getRoute(route) != null) {
                        context.getRouteController().startRoute(route);
                    }
                }
            }
        });
        // stopped after the routes (the outbox consumer among them): the queue (spool, local file or Kafka clients), writer
        camel.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                for (AutoCloseable c : List.<AutoCloseable>of(queue, writer)) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        LOG.warn("error while stopping: {}", e.getMessage());
                    }
                }
            }
        });
    }

    /** ClickHouse away degrades the instance: webhooks answer 503 and state rows wait, pages still go out. */
    private static Optional<String> clickHouseTrouble(ClickHouse clickHouse, SchemaMigrator schema) {
        if (!clickHouse.answers()) {
            return Optional.of("ClickHouse is unreachable; webhooks answer 503 (PagerDuty redelivers them), state rows wait "
                    + "in the spool, pages still go out");
        }
        if (!schema.isApplied()) {
            return Optional.of("ClickHouse schema not applied yet: " + schema.lastError());
        }
        return Optional.empty();
    }
}
