package io.infrasage.pagerduty.http;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.component.platform.http.HttpEndpointModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answers Vert.x gives itself, before any route runs, in JSON like every other error of the bundle: 404 for an
 * unknown path (Vert.x's is an HTML page), 405 with the methods the path does take in Allow (Vert.x's is empty), 413
 * for a body over camel.server.max-body-size (Vert.x's is text/plain), and 400/500 from the router itself. A request
 * the client aborted is not an error of the bundle's: no answer, and no more than a debug line.
 */
public final class JsonErrorPages {

    private static final Logger LOG = LoggerFactory.getLogger(JsonErrorPages.class);
    private final Supplier<Collection<HttpEndpointModel>> endpoints;
    private final long maxBodySize;

    /** @param endpoints the HTTP endpoints the routes serve (platform-http's list), read when a 405 is answered */
    public JsonErrorPages(Supplier<Collection<HttpEndpointModel>> endpoints, long maxBodySize) {
        this.endpoints = endpoints;
        this.maxBodySize = maxBodySize;
    }

    /**
     * On the server's (sub-)router, whose own errorHandler is never asked: a last route for requests no route took (404,
     * or 405 when the path exists with another method), and a failure handler for requests the router failed itself.
     */
    public void installOn(Router router) {
        router.route().last().handler(this::unmatched);
        router.route().order(-2_000).failureHandler(this::failed);
    }

    /**
     * On the server's main router, which Camel mounts the sub-router on: a path that cannot be decoded (%ZZ) fails
     * there, before any route of the sub-router is matched. The server hands requests to that router, so its public
     * request handler is the router.
     */
    public void installOn(HttpServer server) {
        if (server.requestHandler() instanceof Router main) {
            main.errorHandler(400, ctx -> answer(ctx, 400, "bad request", "the path could not be decoded"));
        } else {
            LOG.warn("the HTTP server's request handler is not a router: undecodable paths get Vert.x's plain-text 400");
        }
    }

    private void unmatched(RoutingContext ctx) {
        // the normalized path, as the routes were matched on it: /anomalies/../acknowledge is /acknowledge, not an id ".."
        Set<String> methods = allowedMethods(ctx.normalizedPath());
        if (methods.isEmpty()) {
            answer(ctx, 404, "not found", "no endpoint at this path (see docs/api.md)");
        } else {
            String allow = String.join(", ", methods);
            ctx.response().putHeader("Allow", allow);
            answer(ctx, 405, "method not allowed", "this path takes " + allow);
        }
    }

    private void failed(RoutingContext ctx) {
        if (ctx.response().closed() || ctx.response().ended() || ctx.failure() instanceof HttpClosedException) {
            // the client went away mid-request (often mid-upload), or the request was answered already (a 408 at the body
            // deadline closes the connection under it): nothing to answer, and not the bundle's error. At most a
            // debug line, so that nobody can fill the log by aborting requests (Vert.x logged an ERROR with a stack trace)
            LOG.debug("request to {} ended by the client before its answer: {}", ctx.request().path(), reason(ctx));
            return;
        }
        switch (ctx.statusCode()) {
            case 413 -> answer(ctx, 413, "request too large", "the body must be at most " + maxBodySize + " bytes");
            case 400 -> answer(ctx, 400, "bad request", "the request could not be read");
            case 404, 405 -> unmatched(ctx);
            default -> {
                LOG.warn("request to {} failed before its route: {}", ctx.request().path(), reason(ctx));
                answer(ctx, ctx.statusCode() >= 400 ? ctx.statusCode() : 500, "internal error",
                        "unexpected failure while reading the request");
            }
        }
    }

    /** The methods of every endpoint whose URI template ({id} for one path segment) matches the path. */
    Set<String> allowedMethods(String path) {
        Set<String> methods = new TreeSet<>();
        for (HttpEndpointModel e : endpoints.get()) {
            if (e.getVerbs() != null && template(e.getUri()).matcher(path == null ? "" : path).matches()) {
                for (String verb : e.getVerbs().split(",")) {
                    if (!verb.isBlank()) {
                        methods.add(verb.trim().toUpperCase());
                    }
                }
            }
        }
        return methods;
    }

    static Pattern template(String uri) {
        StringBuilder re = new StringBuilder();
        for (String part : uri.split("(?=\\{)|(?<=\\})")) {
            re.append(part.startsWith("{") && part.endsWith("}") ? "[^/]+" : Pattern.quote(part));
        }
        return Pattern.compile(re + "/?");
    }

    private static String reason(RoutingContext ctx) {
        Throwable t = ctx.failure();
        String message = t == null ? "status " + ctx.statusCode() : t.getClass().getSimpleName() + ": " + t.getMessage();
        return message.lines().findFirst().orElse("");
    }

    private static void answer(RoutingContext ctx, int status, String error, String problem) {
        if (ctx.response().ended() || ctx.response().headWritten()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", error).put("problems", new JsonArray(List.of(problem))).encode());
    }
}
