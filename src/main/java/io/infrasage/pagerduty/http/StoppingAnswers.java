package io.infrasage.pagerduty.http;

import java.util.function.BooleanSupplier;

import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * While the instance stops, every request to the bundle's API gets a JSON 503 with Retry-After, never the 404 its
 * routes would give once removed: InfraSage and PagerDuty retry a 503 (on another instance behind the load balancer).
 * It stands after the body is read, so the answer never cuts an upload short, and it closes the connection so that
 * a keep-alive client reconnects to an instance that stays.
 */
public final class StoppingAnswers implements Handler<RoutingContext> {

    private static final String BODY = new JsonObject().put("error", "stopping")
            .put("problems", new JsonArray().add("this instance is stopping; retry, another instance takes the request")).encode();

    private final BooleanSupplier stopping;

    public StoppingAnswers(BooleanSupplier stopping) {
        this.stopping = stopping;
    }

    /** Between BodyIntake (the whole body read) and Admission (a place taken). */
    public void installOn(Router router) {
        router.route(Admission.PATHS).order(-1_000).handler(this);
    }

    @Override
    public void handle(RoutingContext ctx) {
        if (!stopping.getAsBoolean()) {
            ctx.next();
            return;
        }
        ctx.response().setStatusCode(503).putHeader("Content-Type", "application/json").putHeader("Retry-After", "1")
                .putHeader("Connection", "close").end(BODY);
    }
}
