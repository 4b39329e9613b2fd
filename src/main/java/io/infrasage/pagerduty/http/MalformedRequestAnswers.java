package io.infrasage.pagerduty.http;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * JSON answers for requests Vert.x cannot even parse, which never reach a route: a request line over 4,096 bytes
 * (414), headers over 8,192 bytes (431), anything else malformed (400). Vert.x answers those with an empty body unless
 * it is the server's invalid-request handler when the server starts listening (ApiServerGuards).
 */
public final class MalformedRequestAnswers implements Handler<HttpServerRequest> {

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
