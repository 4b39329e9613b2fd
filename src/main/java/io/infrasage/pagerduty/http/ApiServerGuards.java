package io.infrasage.pagerduty.http;

import java.net.BindException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import io.infrasage.pagerduty.BundleMetrics;
import io.vertx.core.http.HttpServer;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.PlatformHttpComponent;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What stands between a client and the bundle's routes on the API port, installed once Camel's HTTP server listens, in
 * the order a request meets it: on the server, HTTP/1.1 only (so every body is read before a place is taken) and JSON
 * answers for requests Vert.x cannot parse (414, 431); then on its router JSON error pages (404, 405, 413), the body
 * read within its deadline, a 503 while the instance stops, and the in-flight limit. The management port gets none of
 * these (its idle timeout comes with Vert.x's options, HttpServerDefaults).
 */
public final class ApiServerGuards {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServerGuards.class);

    private final StoppingAnswers stoppingAnswers;
    private final Admission admission;
    private final BodyIntake intake;
    private final long maxBodySize;

    /**
     * @param maxBodySize camel.server.max-body-size, or -1 for none
     * @param stopping    true once the instance has begun to stop
     */
    public ApiServerGuards(int maxInFlight, Duration bodyTimeout, long maxBodySize, BundleMetrics metrics,
                           BooleanSupplier stopping) {
        this.stoppingAnswers = new StoppingAnswers(stopping);
        this.admission = new Admission(maxInFlight, metrics);
        this.intake = new BodyIntake(bodyTimeout, maxBodySize);
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
        context.hasServices(VertxPlatformHttpServer.class).stream()
                .filter(http -> http.getServer() != null && http.getServer().actualPort() == apiPort).forEach(http -> {
                    errorPages.installOn(http.getServer());
                    listenAgain(http.getServer(), http.getHost());
                });
        for (VertxPlatformHttpRouter router : routers) {
            errorPages.installOn(router);
            intake.installOn(router);
            stoppingAnswers.installOn(router);
            admission.installOn(router);
        }
    }

    /**
     * Vert.x reads a server's invalid-request handler and its HTTP/2 switch (HttpServerDefaults) when it starts to
     * listen, and Camel creates and starts its server with no hook in between: so, at start-up, the API listener is
     * closed and opened again on the same address through HttpServer's public API, with both in place.
     */
    private static void listenAgain(HttpServer server, String host) {
        int port = server.actualPort();
        server.invalidRequestHandler(new MalformedRequestAnswers());
        server.close().toCompletionStage().toCompletableFuture().join();
        for (int attempt = 1; ; attempt++) {
            try {
                server.listen(port, host).toCompletionStage().toCompletableFuture().join();
                return;
            } catch (CompletionException e) {
                // Vert.x completes the close before the socket is released: the port is free a moment later
                if (!(e.getCause() instanceof BindException) || attempt == 50) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }
    }
}
