package io.infrasage.pagerduty;

import java.util.List;

import io.infrasage.pagerduty.anomaly.AnomalyParser;
import io.infrasage.pagerduty.anomaly.AnomalyService;
import io.infrasage.pagerduty.anomaly.PageNotRouted;
import io.infrasage.pagerduty.clickhouse.ClickHouse;
import io.infrasage.pagerduty.clickhouse.ClickHouseWriter;
import io.infrasage.pagerduty.clickhouse.SchemaMigrator;
import io.infrasage.pagerduty.clickhouse.StateQueries;
import io.infrasage.pagerduty.rest.IncidentListing;
import io.infrasage.pagerduty.rest.PagerDutyApi;
import io.infrasage.pagerduty.webhook.WebhookHandler;
import io.infrasage.pagerduty.webhook.WebhookSignatureVerifier;
import io.infrasage.pagerduty.config.BundleSettings;
import io.infrasage.pagerduty.http.BearerTokenCheck;
import io.infrasage.pagerduty.http.ErrorResponses;
import io.infrasage.pagerduty.http.JsonRequests;
import io.infrasage.pagerduty.outbox.ClickHouseSpool;
import io.infrasage.pagerduty.outbox.DeliveryPolicy;
import io.infrasage.pagerduty.outbox.LocalStore;
import io.infrasage.pagerduty.outbox.PagerDutyDispatcher;
import io.infrasage.pagerduty.http.ApiServerGuards;
import io.infrasage.pagerduty.http.IdleConnectionTimeout;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Configuration;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and validates the settings (start-up fails here, naming every bad one) and binds the beans the route files
 * use. A host Camel application picks this class up with camel.main.base-package-scan=io.infrasage.pagerduty.
 */
@Configuration
public class BundleConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(BundleConfiguration.class);
    /**
     * Vert.x worker threads that run the HTTP routes (platform-http hands every request to one). Vert.x's default of 20
     * capped how many webhooks could share one ClickHouse batch and how many accepts one outbox fsync: requests are
     * blocked there, not computing, so more of them in flight means bigger batches, not more CPU.
     */
    static final int HTTP_WORKERS = 64;

    @Override
    public void configure(CamelContext camel) throws Exception {
        BundleSettings s = BundleSettings.load(camel.getPropertiesComponent()::resolveProperty, System::getenv);
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
        properties.addOverrideProperty("pagerduty.api-url", s.apiUrl.toString());
        BundleMetrics metrics = new BundleMetrics();
        ClickHouse clickHouse = new ClickHouse(s.clickHouseUrl, s.clickHouseUser, s.clickHousePassword, s.clickHouseDatabase);
        SchemaMigrator schema = new SchemaMigrator(clickHouse);
        ClickHouseWriter writer = new ClickHouseWriter(clickHouse, schema);
        LocalStore store = new LocalStore(s.dataDir);
        ClickHouseSpool spool = new ClickHouseSpool(store, writer);
        DependencyState pagerDuty = new DependencyState("PagerDuty", "pages wait in the outbox and are retried");
        PagerDutyDispatcher dispatcher = new PagerDutyDispatcher(store,
                new DeliveryPolicy(s.retryInitialDelay, s.retryMaxDelay, s.retryThrottledDelay),
                camel.createProducerTemplate(), metrics, spool::wake, s.rateLimitPerMinute, s.rateLimitBurst, s.concurrency,
                pagerDuty);

        var registry = camel.getRegistry();
        if (registry.findByType(Vertx.class).isEmpty() && registry.findByType(VertxOptions.class).isEmpty()) {
            // only when the host application has not configured Vert.x itself
            registry.bind("infrasageVertxOptions",
                    new IdleConnectionTimeout(s.httpIdleTimeout).applyTo(new VertxOptions().setWorkerPoolSize(HTTP_WORKERS)));
        }
        registry.bind("bundleSettings", s);
        registry.bind("bundleMetrics", metrics);
        registry.bind("clickHouse", clickHouse);
        registry.bind("clickHouseWriter", writer);
        registry.bind("localStore", store);
        registry.bind("anomalyParser", new AnomalyParser(metrics));
        registry.bind("severityPolicy", s.severityPolicy);
        registry.bind("routingRules", s.routingRules);
        registry.bind("pageNotRouted", new PageNotRouted(metrics));
        registry.bind("anomalyService", new AnomalyService(store, dispatcher, spool, s.severityPolicy, metrics, s.deliveryWait));
        registry.bind("ingestAuth", new BearerTokenCheck(s.ingestToken));
        registry.bind("errorResponses", new ErrorResponses());
        StateQueries queries = new StateQueries(clickHouse);
        PagerDutyApi api = new PagerDutyApi(camel.createProducerTemplate(), s.apiToken);
        registry.bind("stateQueries", queries);
        registry.bind("pagerDutyApi", api);
        registry.bind("incidentListing", new IncidentListing(api, queries));
        registry.bind("webhookVerifier", new WebhookSignatureVerifier(s.webhookSecrets, s.webhookInsecure, metrics));
        registry.bind("webhookHandler", new WebhookHandler(writer, queries, store, api, metrics));
        registry.bind("jsonRequests", new JsonRequests());

        HealthCheckRegistry health = HealthCheckRegistry.get(camel);
        if (health != null) {
            health.register(new ReadinessChecks.ClickHouseCheck(clickHouse, schema));
            health.register(new ReadinessChecks.OutboxCheck(store, s.outboxMaxAge));
        }

        ApiServerGuards guards = new ApiServerGuards(s.httpMaxInFlight, s.httpHeaderTimeout, s.httpBodyTimeout,
                properties.resolveProperty("camel.server.max-body-size").map(Long::parseLong).orElse(-1L), metrics);
        camel.addStartupListener((context, alreadyStarted) -> {
            guards.installOn(context);
            MeterRegistry meters = context.getRegistry().findSingleByType(MeterRegistry.class);
            if (meters != null) {
                metrics.bind(meters);
                writer.bindMetrics(meters);
                writer.state().bind(meters);
                pagerDuty.bind(meters);
                metrics.gauge("infrasage_outbox_depth", "Events waiting for PagerDuty", store::depth);
                metrics.gauge("infrasage_outbox_oldest_age_seconds", "Age of the oldest event waiting for PagerDuty",
                        () -> store.oldestQueuedAt().map(t -> (System.currentTimeMillis() - t) / 1000.0).orElse(0.0));
                metrics.gauge("infrasage_clickhouse_spool_depth", "State rows waiting for ClickHouse", store::spoolDepth);
            }
            schema.start(2000);
            spool.start();
            dispatcher.start();
            LOG.info("InfraSage PagerDuty bundle ready: {} routing rule(s), events to {}, ClickHouse database {}, outbox in {}",
                    s.routingRules.size(), s.eventsUrl, s.clickHouseDatabase, s.dataDir.toAbsolutePath());
        });
        // stopped in reverse order of need: no new deliveries, then spool, writer and the local file
        camel.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                for (AutoCloseable c : List.<AutoCloseable>of(dispatcher, spool, schema::stop, writer, store)) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        LOG.warn("error while stopping: {}", e.getMessage());
                    }
                }
            }
        });
    }
}
