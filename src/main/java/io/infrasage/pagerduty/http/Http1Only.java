package io.infrasage.pagerduty.http;

import java.lang.reflect.Field;

import io.vertx.core.http.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns off cleartext HTTP/2 (h2c: upgrade and prior knowledge) on the API port. Over HTTP/2 Camel's platform-http
 * reads a request's body itself, after the request has taken an in-flight place, so `curl --http2-prior-knowledge`
 * would bring back the slow-upload lockout that BodyIntake closes for HTTP/1.1. Nothing is lost: clients that offer
 * an upgrade go on in HTTP/1.1, PagerDuty's webhooks arrive through a TLS proxy anyway, and HTTP/2 over TLS (ALPN) is
 * not affected. Vert.x reads the switch for every new connection but Camel offers no setting for it, so it is set on
 * the listening server (Vert.x 4.5 internals; when they are not found a warning says so).
 */
public final class Http1Only {

    private static final Logger LOG = LoggerFactory.getLogger(Http1Only.class);

    public boolean installOn(HttpServer server) {
        try {
            Object worker = VertxInternals.value(server, "childHandler");
            Field disableH2C = VertxInternals.field(worker, "disableH2C");
            disableH2C.setBoolean(worker, true);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot turn off cleartext HTTP/2 on this Vert.x ({}); slow HTTP/2 uploads hold in-flight places until "
                    + "the body deadline", e.toString());
            return false;
        }
    }
}
