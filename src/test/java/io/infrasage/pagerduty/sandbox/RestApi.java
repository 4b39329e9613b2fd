package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Optional;

/**
 * The slice of PagerDuty's REST API v2 a webhook consumer reads back: incidents, their notes and their alerts, behind
 * token auth and a per-token rate limit, with PagerDuty's classic pagination rules.
 */
final class RestApi {

    private static final int DEFAULT_LIMIT = 25;
    private static final int MAX_LIMIT = 100;
    private static final int MAX_OFFSET_PLUS_LIMIT = 10_000;
    private static final int MAX_NOTE_CHARS = 65_535;

    private final IncidentStore store;
    private final String authorization;
    private final RateWindow rateWindow;
    private final String token;
    private final WebhookSender webhooks;
    private final java.util.concurrent.atomic.AtomicInteger throttled = new java.util.concurrent.atomic.AtomicInteger();
    private final List<RestCall> calls = new java.util.concurrent.CopyOnWriteArrayList<>();

    RestApi(IncidentStore store, WebhookSender webhooks, String apiToken, RateWindow rateWindow) {
        this.store = store;
        this.webhooks = webhooks;
        this.token = apiToken;
        this.authorization = "Token token=" + apiToken;
        this.rateWindow = rateWindow;
    }

    void mount(Router router) {
        router.route("/incidents*").handler(this::authorize);
        router.get("/incidents").handler(this::listIncidents);
        router.get("/incidents/:id").handler(this::getIncident);
        router.get("/incidents/:id/notes").handler(this::listNotes);
        router.post("/incidents/:id/notes").handler(this::addNote);
        router.get("/incidents/:id/alerts").handler(this::listAlerts);
        router.get("/incidents/:id/related_change_events").handler(this::listRelatedChanges);
        router.route("/webhook_subscriptions*").handler(this::authorize);
        router.get("/webhook_subscriptions").handler(this::listWebhookSubscriptions);
    }

    /** REST requests answered 429 so far. */
    int throttledCount() {
        return throttled.get();
    }

    /** Every REST request so far, in arrival order, whatever it was answered. */
    List<RestCall> calls() {
        return List.copyOf(calls);
    }

    static void notFound(RoutingContext ctx) {
        Replies.restError(ctx, 404, "Not Found", 2100);
    }

    private void authorize(RoutingContext ctx) {
        calls.add(new RestCall(java.time.Instant.now(), ctx.request().method().name(), ctx.request().path()));
        if (!authorization.equals(ctx.request().getHeader("Authorization"))) {
            Replies.restError(ctx, 401, "Unauthorized", 2006);
            return;
        }
        boolean admitted = rateWindow.tryAcquire(token);
        // PagerDuty signals its REST limits with these headers on every answer (not Retry-After)
        ctx.response().putHeader("ratelimit-limit", Integer.toString(rateWindow.limit()))
                .putHeader("ratelimit-remaining", Integer.toString(rateWindow.remaining(token)))
                .putHeader("ratelimit-reset", Long.toString(rateWindow.resetSeconds(token)));
        if (!admitted) {
            throttled.incrementAndGet();
            Replies.restError(ctx, 429, "Rate Limit Exceeded", 2020);
        } else {
            ctx.next();
        }
    }

    /** GET /webhook_subscriptions: v3 subscriptions; one disabled after three dropped deliveries shows active:false. */
    private void listWebhookSubscriptions(RoutingContext ctx) {
        List<String> disabled = webhooks.disabledSubscriptions();
        List<ObjectNode> all = webhooks.subscriptions().stream().map(s -> {
            ObjectNode json = Json.object();
            json.put("id", s.id());
            json.put("type", "webhook_subscription");
            json.put("active", !disabled.contains(s.id()));
            ObjectNode method = json.putObject("delivery_method");
            method.put("type", "http_delivery_method");
            method.put("url", s.url().toString());
            json.putArray("events").add("incident.triggered").add("incident.acknowledged").add("incident.resolved");
            json.putObject("filter").put("type", "account_reference");
            return json;
        }).toList();
        page(ctx).ifPresent(p -> Replies.json(ctx, 200, paged("webhook_subscriptions", all, p[0], p[1])));
    }

    private void listIncidents(RoutingContext ctx) {
        List<String> statuses = ctx.queryParam("statuses[]");
        for (String status : statuses) {
            if (!IncidentStore.STATUSES.contains(status)) {
                invalidInput(ctx, "Statuses must be one of triggered, acknowledged or resolved");
                return;
            }
        }
        Optional<int[]> page = page(ctx);
        if (page.isEmpty()) {
            return;
        }
        List<ObjectNode> all = store.incidentsJson(statuses, ctx.queryParam("service_ids[]"),
                ctx.request().getParam("incident_key"));
        ObjectNode body = paged("incidents", all, page.get()[0], page.get()[1]);
        // PagerDuty only counts when asked to (total=true); otherwise total is null.
        if ("true".equals(ctx.request().getParam("total"))) {
            body.put("total", all.size());
        } else {
            body.putNull("total");
        }
        Replies.json(ctx, 200, body);
    }

    private void getIncident(RoutingContext ctx) {
        store.incidentJson(ctx.pathParam("id")).ifPresentOrElse(incident -> {
            ObjectNode body = Json.object();
            body.set("incident", incident);
            Replies.json(ctx, 200, body);
        }, () -> notFound(ctx));
    }

    private void listNotes(RoutingContext ctx) {
        store.notesJson(ctx.pathParam("id")).ifPresentOrElse(notes -> {
            ObjectNode body = Json.object();
            notes.forEach(body.putArray("notes")::add);
            Replies.json(ctx, 200, body);
        }, () -> notFound(ctx));
    }

    private void listRelatedChanges(RoutingContext ctx) {
        store.relatedChangesJson(ctx.pathParam("id")).ifPresentOrElse(changes -> {
            ObjectNode body = Json.object();
            changes.forEach(body.putArray("change_events")::add);
            Replies.json(ctx, 200, body);
        }, () -> notFound(ctx));
    }

    /**
     * {@code POST /incidents/{id}/notes} {@code {"note":{"content":"..."}}}: a write, so PagerDuty wants a From header
     * naming the user (an email); the note is added as that user and announced with incident.annotated.
     */
    private void addNote(RoutingContext ctx) {
        String from = ctx.request().getHeader("From");
        if (from == null || from.isBlank()) {
            invalidInput(ctx, "The From header is required and must be a valid user's email");
            return;
        }
        JsonNode content;
        try {
            content = Json.MAPPER.readTree(ctx.body().asString()).path("note").path("content");
        } catch (Exception e) {
            invalidInput(ctx, "Note must be a JSON object");
            return;
        }
        if (!content.isTextual() || content.asText().isBlank()) {
            invalidInput(ctx, "Note content can't be blank");
            return;
        }
        if (content.asText().length() > MAX_NOTE_CHARS) {
            invalidInput(ctx, "Note content is too long (maximum is 65535 characters)");
            return;
        }
        String id = ctx.pathParam("id");
        if (store.incident(id).isEmpty()) {
            notFound(ctx);
            return;
        }
        Note note = store.annotate(id, from, content.asText());
        ObjectNode body = Json.object();
        body.set("note", store.notesJson(id).orElseThrow().stream()
                .filter(n -> n.path("id").asText().equals(note.id())).findFirst().orElseThrow());
        Replies.json(ctx, 201, body);
    }

    private void listAlerts(RoutingContext ctx) {
        Optional<List<ObjectNode>> alerts = store.alertsJson(ctx.pathParam("id"));
        if (alerts.isEmpty()) {
            notFound(ctx);
            return;
        }
        page(ctx).ifPresent(p -> Replies.json(ctx, 200, paged("alerts", alerts.get(), p[0], p[1])));
    }

    /** [limit, offset], or empty after answering 400. */
    private static Optional<int[]> page(RoutingContext ctx) {
        Integer limit = integer(ctx, "limit", DEFAULT_LIMIT);
        Integer offset = integer(ctx, "offset", 0);
        if (limit == null || offset == null) {
            return Optional.empty();
        }
        if (limit > MAX_LIMIT) {
            invalidInput(ctx, "Limit must be less than or equal to 100");
        } else if (limit < 1) {
            invalidInput(ctx, "Limit must be greater than 0");
        } else if (offset < 0) {
            invalidInput(ctx, "Offset must be greater than or equal to 0");
        } else if ((long) offset + limit > MAX_OFFSET_PLUS_LIMIT) {
            // classic pagination stops at 10,000 records
            invalidInput(ctx, "Offset plus limit must be less than or equal to 10000");
        } else {
            return Optional.of(new int[] {limit, offset});
        }
        return Optional.empty();
    }

    private static Integer integer(RoutingContext ctx, String name, int fallback) {
        String value = ctx.request().getParam(name);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            invalidInput(ctx, (Character.toUpperCase(name.charAt(0)) + name.substring(1)) + " must be an integer");
            return null;
        }
    }

    private static ObjectNode paged(String field, List<ObjectNode> all, int limit, int offset) {
        ObjectNode body = Json.object();
        all.stream().skip(offset).limit(limit).forEach(body.putArray(field)::add);
        body.put("limit", limit);
        body.put("offset", offset);
        body.put("more", (long) offset + limit < all.size());
        return body;
    }

    private static void invalidInput(RoutingContext ctx, String error) {
        Replies.restError(ctx, 400, "Invalid Input Provided", 2001, error);
    }
}
