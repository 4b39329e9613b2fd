package io.infrasage.pagerduty.http;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;

import io.infrasage.pagerduty.BundleMetrics;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.PlatformHttpComponent;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What stands between a client and the bundle's routes on the API port, installed once Camel's HTTP server listens, in
 * the order a request meets it: on the server, HTTP/1.1 only (so every body is read before a place is taken), JSON
 * answers for requests Vert.x cannot parse (414, 431) and a deadline for headers; then on its router the end of that deadline, JSON error pages (404, 405, 413), the body read within
 * its deadline, a 503 while the instance stops, and the in-flight limit. The management port gets none of these (its idle timeout comes with Vert.x's
 * options, IdleConnectionTimeout).
 */
public final class ApiServerGuards {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServerGuards.class);

    private final StoppingAnswers stoppingAnswers;
    private final Admission admission;
    private final BodyIntake intake;
    private final HeaderDeadline headerDeadline;
    private final long maxBodySize;

    /**
     * @param maxBodySize camel.server.max-body-size, or -1 for none
     * @param stopping    true once the instance has begun to stop
     */
    public ApiServerGuards(int maxInFlight, Duration headerTimeout, Duration bodyTimeout, long maxBodySize, BundleMetrics metrics,
                           BooleanSupplier stopping) {
        this.stoppingAnswers = new StoppingAnswers(stopping);
        this.admission = new Admission(maxInFlight, metrics);
        this.intake = new BodyIntake(bodyTimeout, maxBodySize);
        this.headerDeadline = new HeaderDeadline(headerTimeout);
        this.maxBodySize = maxBodySize;
    }

    public void installOn(CamelContext context) {
        // the HTTP server's router, bound under a name with its port; the management server's is left alone
        List<VertxPlatformHttpRouter> routers = context.getRegistry().findByType(VertxPlatformHttpRouter.class).stream()
                .filter(VertxPlatformHttpRouter::isMainServer).toList();
        if (routers.isEmpty()) {
            LOG.warn("no platform-http router found: requests to {} are not load-shed", Admission.PATHS);
            return;
        }
        int apiPort = context.getPropertiesComponent().resolveProperty("camel.server.port").map(Integer::parseInt).orElse(-1);
        JsonErrorPages errorPages = new JsonErrorPages(() -> {
            PlatformHttpComponent http = context.getComponent("platform-http", PlatformHttpComponent.class);
            return http == null ? List.of() : http.getHttpEndpoints();
        }, maxBodySize);
        context.hasServices(VertxPlatformHttpServer.class).stream().map(VertxPlatformHttpServer::getServer)
                .filter(Objects::nonNull).filter(server -> server.actualPort() == apiPort).forEach(server -> {
                    new MalformedRequestAnswers().installOn(server);
                    new Http1Only().installOn(server);
                    headerDeadline.installOn(server);
                    errorPages.installOn(server);
                });
        for (VertxPlatformHttpRouter router : routers) {
            headerDeadline.installOn(router);
            errorPages.installOn(router);
            intake.installOn(router);
            stoppingAnswers.installOn(router);
            admission.installOn(router);
        }
    }
}
