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
 * Closes HTTP connections that send nothing for INFRASAGE_HTTP_IDLE_TIMEOUT: idle keep-alive connections, and
 * connections that open and send nothing or stop halfway through their headers (Vert.x's default is to keep them
 * forever). Camel's platform-http builds its HttpServerOptions itself and offers no setting for this, so the timeout
 * is set through the one hook Vert.x gives on every server's options before it takes connections: its metrics SPI,
 * which records nothing here.
 */
public final class IdleConnectionTimeout implements VertxMetricsFactory {

    private final long idleMillis;

    public IdleConnectionTimeout(Duration idle) {
        this.idleMillis = Math.max(1, idle.toMillis());
    }

    /** Vert.x options that apply the timeout to every HTTP server of that Vert.x instance (API and management). */
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
                return null;
            }
        };
    }
}
