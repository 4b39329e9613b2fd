package io.infrasage.pagerduty.http;

import java.time.Duration;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Reads the whole body of a request to the bundle's API on the event loop, within a deadline, before the request
 * competes for one of Admission's places. A client that sends its headers and then drips its body a few bytes a second
 * holds no place and no worker thread while it uploads (a few hundred such clients would otherwise shut every real
 * anomaly out with 503), and
 * after INFRASAGE_HTTP_BODY_TIMEOUT it is answered 408 and its connection closed. Camel's own body handler, later on the
 * route, sees the body already read and passes it on unchanged (byte for byte, as webhook signatures need).
 * HTTP/2 (cleartext upgrade) requests are left to Camel's handler, which resumes the request before reading it and
 * fails on an HTTP/2 request already read: they get the deadline, and count against the limit while they upload.
 */
public final class BodyIntake implements Handler<RoutingContext> {

    private final long deadlineMillis;
    private final String timeoutBody;
    private final BodyHandler reader;

    /** @param maxBodySize largest body read at all (camel.server.max-body-size), or -1 for no limit */
    public BodyIntake(Duration deadline, long maxBodySize) {
        this.deadlineMillis = Math.max(1, deadline.toMillis());
        this.timeoutBody = new JsonObject().put("error", "request timeout").put("problems", new JsonArray()
                .add("the request body did not arrive within " + deadline.toMillis() + " ms; send it at once")).encode();
        this.reader = BodyHandler.create(false).setBodyLimit(maxBodySize);
    }

    /** In front of StoppingAnswers and Admission on their paths: first the deadline, then the body. */
    public void installOn(Router router) {
        router.route(Admission.PATHS).order(-1_002).handler(this);
        router.route(Admission.PATHS).order(-1_001).handler(ctx -> {
            if (ctx.request().version() == HttpVersion.HTTP_2) {
                ctx.next();
            } else {
                reader.handle(ctx);
            }
        });
    }

    @Override
    public void handle(RoutingContext ctx) {
        long timer = ctx.vertx().setTimer(deadlineMillis, t -> expire(ctx));
        ctx.addEndHandler(done -> ctx.vertx().cancelTimer(timer));
        ctx.next();
    }

    private void expire(RoutingContext ctx) {
        if (ctx.request().isEnded() || ctx.response().ended() || ctx.response().headWritten()) {
            return; // the body arrived; the request is being handled
        }
        ctx.response().setStatusCode(408).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                .end(timeoutBody).onComplete(done -> ctx.request().connection().close());
    }
}
