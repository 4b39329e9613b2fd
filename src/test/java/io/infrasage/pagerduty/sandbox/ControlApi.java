package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * {@code /sandbox/...}: what a human (or the local run command) uses to play the responder and to break things.
 * JSON in, JSON out; every error is {@code {"error":"..."}} with a 4xx, never a stack trace.
 */
final class ControlApi {

    static final List<String> ENDPOINTS = List.of(
            "GET    /sandbox/incidents",
            "GET    /sandbox/events",
            "GET    /sandbox/webhooks",
            "POST   /sandbox/incidents/{id}/acknowledge   {\"user\":\"Alice Example\"}",
            "POST   /sandbox/incidents/{id}/resolve       {\"user\":\"Alice Example\"}",
            "POST   /sandbox/incidents/{id}/notes         {\"user\":\"Alice Example\",\"content\":\"...\"}",
            "POST   /sandbox/incidents/{id}/reassign      {\"user\":\"Alice Example\",\"assignee\":\"Bob Example\"}",
            "POST   /sandbox/incidents/{id}/escalate      {\"user\":\"Alice Example\"}",
            "POST   /sandbox/incidents/{id}/unacknowledge {}",
            "POST   /sandbox/incidents/{id}/reopen        {\"user\":\"Alice Example\"}",
            "POST   /sandbox/incidents/{id}/delegate      {\"user\":\"Alice Example\",\"escalation_policy\":\"DB Team\"}",
            "POST   /sandbox/incidents/{id}/priority      {\"user\":\"Alice Example\",\"priority\":\"P1\"}",
            "POST   /sandbox/incidents/{id}/emit          {\"event_type\":\"incident.assigned\",\"user\":\"Alice Example\"}",
            "POST   /sandbox/incidents/{id}/merge         {\"source_incident\":\"Q...\"}",
            "POST   /sandbox/faults   {\"status\":429,\"count\":3,\"retry_after\":1} | {\"delay_ms\":2000,\"count\":5} | {\"down_ms\":5000} | {\"lose\":1}",
            "POST   /sandbox/webhooks/{id}/enable   re-enables a subscription disabled after 3 dropped deliveries",
            "DELETE /sandbox/faults");

    private final Vertx vertx;
    private final IncidentStore store;
    private final EventsApi events;
    private final WebhookSender webhooks;
    private final Faults faults;
    private final Faults.Listener listener;

    ControlApi(Vertx vertx, IncidentStore store, EventsApi events, WebhookSender webhooks, Faults faults,
               Faults.Listener listener) {
        this.vertx = vertx;
        this.store = store;
        this.events = events;
        this.webhooks = webhooks;
        this.faults = faults;
        this.listener = listener;
    }

    void mount(Router router) {
        router.get("/sandbox").handler(this::index);
        router.get("/sandbox/incidents").handler(this::incidents);
        router.get("/sandbox/events").handler(this::events);
        router.get("/sandbox/webhooks").handler(this::webhooks);
        router.post("/sandbox/incidents/:id/:action").handler(this::act);
        router.post("/sandbox/webhooks/:id/enable").handler(this::enableWebhook);
        router.post("/sandbox/faults").handler(this::addFaults);
        router.delete("/sandbox/faults").handler(this::clearFaults);
    }

    private void index(RoutingContext ctx) {
        ObjectNode body = Json.object();
        ENDPOINTS.forEach(body.putArray("endpoints")::add);
        Replies.json(ctx, 200, body);
    }

    private void incidents(RoutingContext ctx) {
        ObjectNode body = Json.object();
        ArrayNode list = body.putArray("incidents");
        store.incidents().forEach(i -> {
            ObjectNode item = i.toJson();
            // not in PagerDuty's incident JSON: what its UI shows as the alert's details, so a person trying the local
            // loop sees what the page carried (past resolutions, what was cut) without reading /sandbox/events
            if (!i.alerts().isEmpty()) {
                item.set("custom_details", i.alerts().get(0).event().path("payload").path("custom_details").deepCopy());
            }
            // the incident's context in PagerDuty's UI: the change events of its service ("recent changes")
            ArrayNode changes = item.putArray("related_change_events");
            store.relatedChangesJson(i.id()).ifPresent(all -> all.forEach(c -> changes.add(c.path("payload").path("summary").asText())));
            list.add(item);
        });
        Replies.json(ctx, 200, body);
    }

    private void events(RoutingContext ctx) {
        ObjectNode body = Json.object();
        ArrayNode list = body.putArray("events");
        for (ReceivedEvent e : events.received()) {
            ObjectNode item = list.addObject();
            item.put("at", Json.millis(e.at()));
            item.put("routing_key", e.routingKey());
            item.put("event_action", e.eventAction());
            item.put("dedup_key", e.dedupKey());
            item.put("status", e.status());
            item.put("outcome", e.outcome());
            item.set("body", e.body());
        }
        Replies.json(ctx, 200, body);
    }

    private void webhooks(RoutingContext ctx) {
        ObjectNode body = Json.object();
        ArrayNode subscriptions = body.putArray("subscriptions");
        List<String> disabled = webhooks.disabledSubscriptions();
        for (WebhookSender.Subscription s : webhooks.subscriptions()) {
            ObjectNode item = subscriptions.addObject();
            item.put("id", s.id());
            item.put("url", s.url().toString());
            item.put("secrets", s.secrets().size()); // how many, never the secrets themselves
            item.put("disabled", disabled.contains(s.id()));
        }
        ArrayNode attempts = body.putArray("attempts");
        for (WebhookAttempt a : webhooks.attempts()) {
            ObjectNode item = attempts.addObject();
            item.put("subscription_id", a.subscriptionId());
            item.put("event_id", a.eventId());
            item.put("event_type", a.eventType());
            item.put("delivery_id", a.deliveryId());
            item.put("attempt", a.attempt());
            item.put("status", a.status());
            item.put("error", a.error());
            item.put("at", Json.millis(a.at()));
        }
        Replies.json(ctx, 200, body);
    }

    private void enableWebhook(RoutingContext ctx) {
        try {
            webhooks.enable(ctx.pathParam("id"));
            ObjectNode out = Json.object();
            out.put("id", ctx.pathParam("id"));
            out.put("active", true);
            Replies.json(ctx, 200, out);
        } catch (NoSuchElementException e) {
            Replies.error(ctx, 404, e.getMessage());
        }
    }

    private void act(RoutingContext ctx) {
        ObjectNode in = body(ctx);
        if (in == null) {
            return;
        }
        String id = ctx.pathParam("id");
        Function<String, String> text = field -> in.hasNonNull(field) ? in.get(field).asText() : null;
        try {
            ObjectNode result = switch (ctx.pathParam("action")) {
                case "acknowledge" -> wrap(store.acknowledge(id, required(text, "user")));
                case "resolve" -> wrap(store.resolve(id, required(text, "user")));
                case "unacknowledge" -> wrap(store.unacknowledge(id));
                case "reopen" -> wrap(store.reopen(id, required(text, "user")));
                case "escalate" -> wrap(store.escalate(id, required(text, "user")));
                case "reassign" -> wrap(store.reassign(id, required(text, "user"), required(text, "assignee")));
                case "delegate" -> wrap(store.delegate(id, required(text, "user"), required(text, "escalation_policy")));
                case "priority" -> wrap(store.setPriority(id, required(text, "user"), text.apply("priority")));
                case "merge" -> wrap(store.mergeInto(id, required(text, "source_incident")));
                case "notes" -> wrap(store.annotate(id, required(text, "user"), required(text, "content")));
                case "emit" -> {
                    store.emit(id, required(text, "event_type"), text.apply("user"));
                    yield wrap(store.incident(id).orElseThrow());
                }
                default -> throw new UnknownAction("unknown action '" + ctx.pathParam("action") + "'");
            };
            Replies.json(ctx, 200, result);
        } catch (UnknownAction | NoSuchElementException e) {
            Replies.error(ctx, 404, e.getMessage());
        } catch (IllegalStateException e) {
            Replies.error(ctx, 409, e.getMessage());
        } catch (IllegalArgumentException e) {
            Replies.error(ctx, 400, e.getMessage());
        }
    }

    private void addFaults(RoutingContext ctx) {
        ObjectNode in = body(ctx);
        if (in == null) {
            return;
        }
        try {
            int count = in.path("count").asInt(1);
            boolean understood = false;
            if (in.has("status")) {
                if (in.has("retry_after")) {
                    faults.respond(in.get("status").asInt(), count, in.get("retry_after").asInt());
                } else {
                    faults.respond(in.get("status").asInt(), count);
                }
                understood = true;
            }
            if (in.has("lose")) {
                faults.lose(in.get("lose").asInt());
                understood = true;
            }
            if (in.has("delay_ms")) {
                faults.delay(Duration.ofMillis(in.get("delay_ms").asLong()), count);
                understood = true;
            }
            if (in.has("down_ms")) {
                long downMs = in.get("down_ms").asLong();
                if (downMs < 1) {
                    throw new IllegalArgumentException("down_ms must be positive");
                }
                // Answer first, then close the port: the caller must learn that its request worked.
                ObjectNode out = Json.object();
                out.set("accepted", in);
                Replies.json(ctx, 200, out);
                listener.stopListening().thenRun(() -> {
                    faults.markDown(true);
                    vertx.setTimer(downMs, t -> listener.startListening().thenRun(() -> faults.markDown(false)));
                });
                return;
            }
            if (!understood) {
                throw new IllegalArgumentException("expected status, delay_ms, down_ms or lose");
            }
            ObjectNode out = Json.object();
            out.set("accepted", in);
            Replies.json(ctx, 200, out);
        } catch (IllegalArgumentException e) {
            Replies.error(ctx, 400, e.getMessage());
        }
    }

    private void clearFaults(RoutingContext ctx) {
        // Faults.clear() blocks while coming back up, which must not happen on the event loop; here we are up anyway.
        faults.clearPending();
        ObjectNode out = Json.object();
        out.put("cleared", true);
        Replies.json(ctx, 200, out);
    }

    private static ObjectNode wrap(Incident incident) {
        ObjectNode out = Json.object();
        out.set("incident", incident.toJson());
        return out;
    }

    private static ObjectNode wrap(Note note) {
        ObjectNode out = Json.object();
        ObjectNode json = out.putObject("note");
        json.put("id", note.id());
        json.put("incident_id", note.incidentId());
        json.put("user", note.user());
        json.put("content", note.content());
        json.put("created_at", Json.seconds(note.createdAt()));
        return out;
    }

    private static String required(Function<String, String> text, String field) {
        String value = text.apply(field);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("'" + field + "' is required");
        }
        return value;
    }

    /** The body as a JSON object (an empty body counts as {}), or null after answering 400. */
    private static ObjectNode body(RoutingContext ctx) {
        Buffer buffer = ctx.body().buffer();
        if (buffer == null || buffer.length() == 0) {
            return Json.object();
        }
        try {
            return Json.parseObject(buffer.toString());
        } catch (IllegalArgumentException e) {
            Replies.error(ctx, 400, "body must be a JSON object");
            return null;
        }
    }

    private static final class UnknownAction extends RuntimeException {
        UnknownAction(String message) {
            super(message);
        }
    }
}
