package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A local, strict stand-in for PagerDuty: Events API v2, the incidents slice of REST API v2, Webhooks v3 delivery,
 * fault injection and a control API, all on one loopback port.
 *
 * <pre>{@code
 * try (PagerDutySandbox sb = PagerDutySandbox.builder()
 *         .webhook("http://127.0.0.1:9093/api/v1/pagerduty/webhook", List.of("secret-1"))
 *         .start()) {
 *     // point the client at sb.eventsUrl() and sb.rootUrl()
 * }
 * }</pre>
 *
 * <p>This class only wires HTTP to the parts that do the work: {@link EventValidator}, {@link IncidentStore},
 * {@link RateWindow}, {@link WebhookSender}, {@link Faults}, and the three endpoint groups ({@link EventsApi},
 * {@link RestApi}, {@link ControlApi}). All methods are thread-safe.
 */
public final class PagerDutySandbox implements AutoCloseable {

    /** Loopback only: a sandbox must never be reachable from, or mistaken for, anything on the network. */
    public static final String HOST = "127.0.0.1";
    private static final long MAX_HTTP_BODY = 16L * 1024 * 1024; // beyond PagerDuty's 512 KB, so we can answer its way

    private final Vertx vertx;
    private final Router router;
    private final int port;
    private final String rootUrl;
    private final String apiToken;
    private final IncidentStore store;
    private final EventsApi eventsApi;
    private final RestApi restApi;
    private final WebhookSender webhooks;
    private final Faults faults;

    // Listening socket; only touched inside the serialized transition chain so down/up never overlap.
    private HttpServer server;
    private CompletionStage<Void> transition = CompletableFuture.completedFuture(null);

    private PagerDutySandbox(Builder b) {
        this.apiToken = b.apiToken;
        this.vertx = Vertx.vertx(new VertxOptions()
                .setEventLoopPoolSize(1)
                .setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1)
                // no vertx-cache directory in the working tree or /tmp
                .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false)));

        AtomicReference<String> root = new AtomicReference<>("http://" + HOST + ":" + b.port);
        List<WebhookSender.Subscription> subscriptions = new ArrayList<>();
        for (int i = 0; i < b.webhooks.size(); i++) {
            Map.Entry<URI, List<String>> w = b.webhooks.get(i);
            subscriptions.add(new WebhookSender.Subscription(Ids.derived("PSUB", i + " " + w.getKey(), 6), w.getKey(),
                    w.getValue()));
        }
        this.webhooks = new WebhookSender(subscriptions, new WebhookSender.Policy(b.webhookTimeout,
                b.webhookRetryBackoff, b.webhookMaxBackoff, b.webhookMaxAttempts), b.clock, b.onWebhookAttempt);
        this.store = new IncidentStore(new PagerDutyShapes(root::get), webhooks, b.clock, b.defaultAssignee,
                b.serviceNames);
        Faults.Listener listener = new Faults.Listener() {
            @Override
            public CompletionStage<Void> stopListening() {
                return PagerDutySandbox.this.stopListening();
            }

            @Override
            public CompletionStage<Void> startListening() {
                return PagerDutySandbox.this.startListening();
            }
        };
        this.faults = new Faults(listener);
        this.eventsApi = new EventsApi(vertx, EventValidator.shared(), store,
                new RateWindow(b.rateLimitPerMinute, b.rateLimitWindow), faults, b.clock);

        this.router = Router.router(vertx);
        router.route().handler(BodyHandler.create(false).setBodyLimit(MAX_HTTP_BODY));
        router.post("/v2/enqueue").handler(eventsApi);
        router.post("/v2/change/enqueue").handler(eventsApi::change);
        this.restApi = new RestApi(store, webhooks, b.apiToken, new RateWindow(b.restRateLimitPerMinute, b.restRateLimitWindow));
        restApi.mount(router);
        new ControlApi(vertx, store, eventsApi, webhooks, faults, listener).mount(router);
        router.errorHandler(404, ctx -> {
            if (ctx.request().path().startsWith("/incidents")) {
                RestApi.notFound(ctx);
            } else {
                Replies.error(ctx, 404, "no such endpoint: " + ctx.request().method() + " " + ctx.request().path());
            }
        });
        router.errorHandler(405, ctx -> Replies.error(ctx, 405, "method not allowed: " + ctx.request().method()
                + " " + ctx.request().path()));
        router.errorHandler(413, ctx -> {
            if (ctx.request().path().equals("/v2/enqueue")) {
                eventsApi.tooLarge(ctx);
            } else {
                Replies.error(ctx, 413, "request body too large");
            }
        });
        router.errorHandler(500, PagerDutySandbox::internalError);

        try {
            this.server = vertx.createHttpServer(serverOptions(b.port)).requestHandler(router).listen()
                    .toCompletionStage().toCompletableFuture().join();
        } catch (RuntimeException e) {
            webhooks.close();
            vertx.close();
            throw new IllegalStateException("cannot listen on " + HOST + ":" + b.port, e);
        }
        this.port = server.actualPort();
        this.rootUrl = "http://" + HOST + ":" + port;
        root.set(rootUrl);
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Where it is.

    /** {@code http://127.0.0.1:<port>}: the REST API base URL, and the base of every html_url/self link. */
    public String rootUrl() {
        return rootUrl;
    }

    /** {@code http://127.0.0.1:<port>/v2/enqueue}. */
    public String eventsUrl() {
        return rootUrl + "/v2/enqueue";
    }

    /** {@code http://127.0.0.1:<port>/v2/change/enqueue}: Change Events. */
    public String changeEventsUrl() {
        return rootUrl + "/v2/change/enqueue";
    }

    public int port() {
        return port;
    }

    public String apiToken() {
        return apiToken;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // What it saw and holds.

    /** Every Events API request so far, oldest first, with the status answered and the outcome. */
    public List<ReceivedEvent> events() {
        return eventsApi.received();
    }

    /** REST API requests answered 429 (over the per-token limit) so far. */
    public int restThrottledCount() {
        return restApi.throttledCount();
    }

    /** Every REST API request so far (incidents, notes, alerts, webhook subscriptions), in arrival order. */
    public List<RestCall> restCalls() {
        return restApi.calls();
    }

    /** How many REST API requests arrived so far, answered or refused. */
    public int restCallCount() {
        return restApi.calls().size();
    }

    /** Every incident, any status, in creation order. */
    public List<Incident> incidents() {
        return store.incidents();
    }

    /** @throws NoSuchElementException if there is no such incident */
    public Incident incident(String incidentId) {
        return store.incident(incidentId).orElseThrow(() -> new NoSuchElementException("incident " + incidentId
                + " not found"));
    }

    /** The newest incident whose incident_key is {@code dedupKey} (older ones exist after a re-page). */
    public Optional<Incident> incidentByKey(String dedupKey) {
        List<Incident> all = store.incidentsByKey(dedupKey);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** All incidents ever opened for {@code dedupKey}, oldest first. */
    public List<Incident> incidentsByKey(String dedupKey) {
        return store.incidentsByKey(dedupKey);
    }

    /** The change events of the incident's service, oldest first, as the incident's context shows them. */
    public List<JsonNode> relatedChanges(String incidentId) {
        return store.relatedChangesJson(incidentId).<List<JsonNode>>map(List::copyOf)
                .orElseThrow(() -> new NoSuchElementException("incident " + incidentId + " not found"));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Playing the responder. Each fires the webhook PagerDuty would fire. Unknown id: NoSuchElementException;
    // impossible transition (e.g. acknowledging a resolved incident): IllegalStateException.

    public Incident acknowledge(String incidentId, String user) {
        return store.acknowledge(incidentId, user);
    }

    public Incident resolve(String incidentId, String user) {
        return store.resolve(incidentId, user);
    }

    /** Adds a note (incident.annotated; the webhook trims content to 1,000 characters, REST never does). */
    public Note annotate(String incidentId, String user, String content) {
        return store.annotate(incidentId, user, content);
    }

    public Incident reassign(String incidentId, String user, String assignee) {
        return store.reassign(incidentId, user, assignee);
    }

    public Incident escalate(String incidentId, String user) {
        return store.escalate(incidentId, user);
    }

    /** What PagerDuty does when an acknowledgement times out: back to triggered, no agent. */
    public Incident unacknowledge(String incidentId) {
        return store.unacknowledge(incidentId);
    }

    public Incident reopen(String incidentId, String user) {
        return store.reopen(incidentId, user);
    }

    /** Hands the incident to another escalation policy (incident.delegated). */
    public Incident delegate(String incidentId, String user, String escalationPolicy) {
        return store.delegate(incidentId, user, escalationPolicy);
    }

    /** Sets the priority, e.g. "P1", or clears it with null (incident.priority_updated). */
    public Incident setPriority(String incidentId, String user, String priority) {
        return store.setPriority(incidentId, user, priority);
    }

    /** Sends a webhook of any type for the incident as it is now, e.g. one PagerDuty may add later. */
    public void emit(String incidentId, String eventType, String agentNameOrNull) {
        store.emit(incidentId, eventType, agentNameOrNull);
    }

    /** Moves the source incident's alerts into the target; the source resolves with a merge_resolve_reason. */
    public Incident mergeInto(String targetIncidentId, String sourceIncidentId) {
        return store.mergeInto(targetIncidentId, sourceIncidentId);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Breaking things.

    public Faults faults() {
        return faults;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Webhooks.

    /** Every delivery attempt so far, in the order they were made. */
    public List<WebhookAttempt> webhookAttempts() {
        return webhooks.attempts();
    }

    /** Every webhook envelope ({@code {"event":{...}}}) published so far, even with no subscription configured. */
    public List<JsonNode> webhookEvents() {
        return webhooks.published();
    }

    /** Subscription ids (the X-Webhook-Subscription header), in the order they were configured. */
    public List<String> webhookSubscriptionIds() {
        return webhooks.subscriptions().stream().map(WebhookSender.Subscription::id).toList();
    }

    /** Subscriptions PagerDuty would have disabled after {@value WebhookSender#DROPS_BEFORE_DISABLE} drops in a row. */
    public List<String> disabledWebhookSubscriptions() {
        return webhooks.disabledSubscriptions();
    }

    /** Enables a subscription PagerDuty disabled (as after 24 h, or a PUT with active:true); missed events stay missed. */
    public void enableWebhookSubscription(String subscriptionId) {
        webhooks.enable(subscriptionId);
    }

    /** Queues an already published event again, byte for byte (same ids, same signature), {@code times} times. */
    public void redeliver(String eventId, int times) {
        webhooks.redeliver(eventId, times);
    }

    /** POSTs {@code body} with exactly {@code headers} to the first subscription; returns its status or -1. */
    public int sendRawWebhook(String body, Map<String, String> headers) {
        return webhooks.sendRaw(null, body, headers);
    }

    public int sendRawWebhook(String subscriptionId, String body, Map<String, String> headers) {
        return webhooks.sendRaw(Objects.requireNonNull(subscriptionId), body, headers);
    }

    /** Waits until every queued webhook was delivered or dropped; false on timeout. */
    public boolean awaitWebhooksIdle(Duration timeout) {
        return webhooks.awaitIdle(timeout);
    }

    /** The X-PagerDuty-Signature value PagerDuty would send for {@code body} signed with {@code secrets}. */
    public static String webhookSignature(String body, List<String> secrets) {
        return WebhookSender.signatureHeader(body.getBytes(StandardCharsets.UTF_8), secrets);
    }

    @Override
    public void close() {
        webhooks.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static HttpServerOptions serverOptions(int port) {
        // HTTP/1.1 only: PagerDuty never speaks cleartext HTTP/2, so an h2c upgrade would be sandbox-only behaviour.
        return new HttpServerOptions().setHost(HOST).setPort(port).setReuseAddress(true)
                .setHttp2ClearTextEnabled(false);
    }

    private synchronized CompletionStage<Void> stopListening() {
        transition = transition.exceptionally(e -> null).thenCompose(v -> {
            if (server == null) {
                return CompletableFuture.completedFuture(null);
            }
            HttpServer closing = server;
            server = null;
            return closing.close().toCompletionStage();
        });
        return transition;
    }

    private synchronized CompletionStage<Void> startListening() {
        transition = transition.exceptionally(e -> null).thenCompose(v -> {
            if (server != null) {
                return CompletableFuture.completedFuture(null);
            }
            // the same port, so clients configured with eventsUrl() reconnect without being told anything
            return vertx.createHttpServer(serverOptions(port)).requestHandler(router).listen()
                    .toCompletionStage().thenAccept(s -> server = s);
        });
        return transition;
    }

    private static void internalError(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        Replies.error(ctx, 500, "sandbox error: " + (failure == null ? "unknown"
                : failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage())));
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** Defaults match PagerDuty where PagerDuty has a number, and favour fast tests where it does not. */
    public static final class Builder {
        private int port = 0;
        private String apiToken = "sandbox-api-token";
        private int rateLimitPerMinute = 120;
        private Duration rateLimitWindow = Duration.ofMinutes(1);
        private int restRateLimitPerMinute = 960;
        private Duration restRateLimitWindow = Duration.ofMinutes(1);
        private final List<Map.Entry<URI, List<String>>> webhooks = new ArrayList<>();
        private Duration webhookTimeout = Duration.ofSeconds(5);
        private Duration webhookRetryBackoff = Duration.ofMillis(100);
        private Duration webhookMaxBackoff = Duration.ofSeconds(2);
        private int webhookMaxAttempts = 20;
        private String defaultAssignee = "On-Call Engineer";
        private final Map<String, String> serviceNames = new LinkedHashMap<>();
        private Clock clock = Clock.systemUTC();
        private Consumer<WebhookAttempt> onWebhookAttempt;

        private Builder() {
        }

        /** 0 (the default) picks any free port; the sandbox always binds 127.0.0.1 only. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /** The REST API token: requests must send {@code Authorization: Token token=<apiToken>}. */
        public Builder apiToken(String apiToken) {
            this.apiToken = requireText(apiToken, "apiToken");
            return this;
        }

        /** Events API limit per routing key (default 120, as PagerDuty). */
        public Builder rateLimitPerMinute(int perMinute) {
            this.rateLimitPerMinute = perMinute;
            return this;
        }

        /** Length of the Events API sliding window (default one minute); shorter windows make expiry testable. */
        public Builder rateLimitWindow(Duration window) {
            this.rateLimitWindow = Objects.requireNonNull(window);
            return this;
        }

        /** REST API limit per token (default 960, as PagerDuty). */
        public Builder restRateLimitPerMinute(int perMinute) {
            this.restRateLimitPerMinute = perMinute;
            return this;
        }

        /** Length of the REST API's sliding window (default one minute, as PagerDuty); shorter ones make a reset testable. */
        public Builder restRateLimitWindow(Duration window) {
            this.restRateLimitWindow = Objects.requireNonNull(window);
            return this;
        }

        /** Adds a webhook subscription; several secrets mean a rotation (one v1= signature per secret). */
        public Builder webhook(String url, List<String> secrets) {
            URI uri = URI.create(Objects.requireNonNull(url));
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("webhook URL must be http(s): " + url);
            }
            if (secrets.isEmpty() || secrets.stream().anyMatch(s -> s == null || s.isEmpty())) {
                throw new IllegalArgumentException("a webhook subscription needs at least one non-empty secret");
            }
            webhooks.add(Map.entry(uri, List.copyOf(secrets)));
            return this;
        }

        /** How long a webhook receiver may take to answer (default 5 s, as PagerDuty). */
        public Builder webhookTimeout(Duration timeout) {
            this.webhookTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** First retry delay (default 100 ms); it doubles per retry up to {@link #webhookMaxBackoff}. */
        public Builder webhookRetryBackoff(Duration backoff) {
            this.webhookRetryBackoff = Objects.requireNonNull(backoff);
            return this;
        }

        /** Longest retry delay (default 2 s). */
        public Builder webhookMaxBackoff(Duration maxBackoff) {
            this.webhookMaxBackoff = Objects.requireNonNull(maxBackoff);
            return this;
        }

        /** Attempts per delivery before it is dropped (default 20). */
        public Builder webhookMaxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("webhookMaxAttempts must be at least 1");
            }
            this.webhookMaxAttempts = maxAttempts;
            return this;
        }

        /** Who new incidents are assigned to (default "On-Call Engineer"). */
        public Builder defaultAssignee(String name) {
            this.defaultAssignee = requireText(name, "defaultAssignee");
            return this;
        }

        /** Names the service behind a routing key (default "Service " + its first 6 characters). */
        public Builder serviceName(String routingKey, String name) {
            serviceNames.put(requireText(routingKey, "routingKey"), requireText(name, "name"));
            return this;
        }

        /** Clock for created_at / occurred_at timestamps (rate windows always use real elapsed time). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        /** Called after every webhook attempt, on the delivery thread (e.g. to log). */
        public Builder onWebhookAttempt(Consumer<WebhookAttempt> listener) {
            this.onWebhookAttempt = listener;
            return this;
        }

        /** Binds 127.0.0.1 and starts serving; the returned sandbox is ready for requests. */
        public PagerDutySandbox start() {
            return new PagerDutySandbox(this);
        }

        private static String requireText(String value, String name) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(name + " must not be blank");
            }
            return value;
        }
    }
}
