package io.infrasage.pagerduty.http;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;

/**
 * The HTTP server options Camel's platform-http gives no setting for: connections that send nothing for
 * INFRASAGE_HTTP_IDLE_TIMEOUT are closed (Vert.x keeps them forever), and no cleartext HTTP/2 (over h2c Camel reads a
 * body only after the request has taken an in-flight place). Vert.x hands every server's options to its metrics SPI
 * when the server binds, so they are set there; this factory records nothing. The idle timeout applies to every new
 * connection; the HTTP/2 switch only once the server listens again (ApiServerGuards).
 */
public final class HttpServerDefaults implements VertxMetricsFactory {

    private final long idleMillis;

    public HttpServerDefaults(Duration idle) {
        this.idleMillis = Math.max(1, idle.toMillis());
    }

    /** Vert.x options that apply these defaults to every HTTP server of that Vert.x instance (API and management). */
    public VertxOptions applyTo(VertxOptions options) {
        return options.setMetricsOptions(new MetricsOptions().setEnabled(true).setFactory(this));
    }

    @Override
    public VertxMetrics metrics(VertxOptions options) {
        return new VertxMetrics() {
            @Override
            public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions server, SocketAddress localAddress) {
                if (server.getIdleTimeout() <= 0) {
                    server.setIdleTimeoutUnit(TimeUnit.MILLISECONDS).setIdleTimeout((int) Math.min(Integer.MAX_VALUE, idleMillis));
                }
                server.setHttp2ClearTextEnabled(false);
                return null;
            }
        };
    }
}
