package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/** Writes JSON answers; every endpoint of the sandbox answers JSON, errors included. */
final class Replies {

    private Replies() {
    }

    static void json(RoutingContext ctx, int status, JsonNode body) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) {
            return; // the client gave up (e.g. during an injected delay); nothing left to answer
        }
        response.setStatusCode(status)
                .putHeader("Content-Type", "application/json; charset=utf-8")
                .end(Buffer.buffer(Json.bytes(body)));
    }

    /** {"error":"..."}: the control API's error shape. */
    static void error(RoutingContext ctx, int status, String message) {
        ObjectNode body = Json.object();
        body.put("error", message == null ? "error" : message);
        json(ctx, status, body);
    }

    /** {"error":{"message":..,"code":..}}: the REST API v2 error shape. */
    static void restError(RoutingContext ctx, int status, String message, int code, String... errors) {
        ObjectNode body = Json.object();
        ObjectNode error = body.putObject("error");
        error.put("message", message);
        error.put("code", code);
        if (errors.length > 0) {
            ArrayNode list = error.putArray("errors");
            for (String e : errors) {
                list.add(e);
            }
        }
        json(ctx, status, body);
    }
}
