package io.infrasage.pagerduty.http;


import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON answers for requests Vert.x cannot even parse, which never reach a route: a request line over 4,096 bytes
 * (414), headers over 8,192 bytes (431), anything else malformed (400). Vert.x answers those with an empty body unless
 * HttpServer.invalidRequestHandler is set before the server listens, and Camel's platform-http starts its server with
 * no such hook. So the handler is put, once the server listens, where Vert.x reads it for every new connection. That
 * place is internal to Vert.x 4.5: when it is not found (another Vert.x), the answers stay empty and a warning says so.
 */
public final class MalformedRequestAnswers implements Handler<HttpServerRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(MalformedRequestAnswers.class);

    /** Installs the answers on a listening server; false (with a warning) when Vert.x is not laid out as expected. */
    public boolean installOn(HttpServer server) {
        try {
            Object worker = VertxInternals.value(server, "childHandler");
            Object connections = VertxInternals.value(worker, "connectionHandler");
            VertxInternals.field(connections, "invalidRequestHandler").set(connections, this);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot answer malformed requests (414, 431) in JSON on this Vert.x ({}); they get empty answers", e.toString());
            return false;
        }
    }

    @Override
    public void handle(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        int status;
        String error;
        String problem;
        if (cause instanceof TooLongHttpLineException) {
            status = 414;
            error = "request line too long";
            problem = "the method, path and query must fit in 4,096 bytes";
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = 431;
            error = "request headers too large";
            problem = "the headers must fit in 8,192 bytes";
        } else {
            status = 400;
            error = "bad request";
            problem = "the request is not valid HTTP/1.1";
        }
        // Vert.x closes the connection once this answer is written: what follows on it cannot be read reliably
        request.response().setStatusCode(status).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                .end(new JsonObject().put("error", error).put("problems", new JsonArray().add(problem)).encode())
                .onComplete(done -> request.connection().close());
    }
}
