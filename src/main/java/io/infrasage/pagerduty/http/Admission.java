package io.infrasage.pagerduty.http;

import java.util.concurrent.atomic.AtomicInteger;

import io.infrasage.pagerduty.BundleMetrics;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Load shedding on the Vert.x event loop, before a request is queued for a worker thread. Platform-http hands every
 * request to Vert.x's worker pool, whose queue has no bound: under a flood requests would
 * wait there until their callers had given up, and the bundle would spend its time on answers nobody reads. With at most maxInFlight requests handled or waiting, the rest get 503 with
 * Retry-After at once: PagerDuty redelivers a webhook answered 5xx, InfraSage retries an anomaly, and the requests
 * admitted are answered at full speed. Nothing is accepted before it is answered, so nothing accepted is lost.
 * A request only gets here once BodyIntake has its whole body: uploading holds no place.
 */
public final class Admission implements Handler<RoutingContext> {

    /** The paths it guards: the bundle's own API, not a host application's routes nor health and metrics. */
    public static final String PATHS = "/api/v1/*";
    private static final String BODY = new JsonObject().put("error", "overloaded")
            .put("problems", new JsonArray().add("too many requests in progress; retry after a second")).encode();

    private final int maxInFlight;
    private final BundleMetrics metrics;
    private final AtomicInteger inFlight = new AtomicInteger();

    public Admission(int maxInFlight, BundleMetrics metrics) {
        this.maxInFlight = maxInFlight;
        this.metrics = metrics;
    }

    /** Puts the guard in front of every route on PATHS, including those already registered. */
    public void installOn(Router router) {
        router.route(PATHS).order(-999).handler(this);
    }

    public int inFlight() {
        return inFlight.get();
    }

    @Override
    public void handle(RoutingContext ctx) {
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            metrics.shed();
            ctx.response().setStatusCode(503).putHeader("Content-Type", "application/json").putHeader("Retry-After", "1")
                    .end(BODY);
            return;
        }
        // once per request: when the answer is written, or the connection is gone
        ctx.addEndHandler(done -> inFlight.decrementAndGet());
        ctx.next();
    }
}
