package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code POST /v2/enqueue}: fault injection first, then size, JSON, contract, rate limit, and only then the store.
 * Every request is recorded with its answer so tests can assert on what the client was told.
 */
final class EventsApi implements Handler<RoutingContext> {

    /** An answer before it is written; kept separate so an injected delay can hold it back. */
    private record Answer(int status, ObjectNode body, Integer retryAfterSeconds) {
    }

    private final Vertx vertx;
    private final EventValidator validator;
    private final ChangeEventValidator changeValidator = new ChangeEventValidator();
    private final IncidentStore store;
    private final RateWindow rateWindow;
    private final Faults faults;
    private final Clock clock;
    private final List<ReceivedEvent> received = new ArrayList<>();

    EventsApi(Vertx vertx, EventValidator validator, IncidentStore store, RateWindow rateWindow, Faults faults,
              Clock clock) {
        this.vertx = vertx;
        this.validator = validator;
        this.store = store;
        this.rateWindow = rateWindow;
        this.faults = faults;
        this.clock = clock;
    }

    synchronized List<ReceivedEvent> received() {
        return List.copyOf(received);
    }

    @Override
    public void handle(RoutingContext ctx) {
        Buffer buffer = ctx.body().buffer();
        answer(ctx, buffer == null ? new byte[0] : buffer.getBytes());
    }

    /**
     * {@code POST /v2/change/enqueue}: the same faults, size limit and per-key rate window as events; a valid change
     * event is kept on its service (shown in the context of the service's incidents) and recorded as action "change".
     */
    void change(RoutingContext ctx) {
        Buffer buffer = ctx.body().buffer();
        byte[] raw = buffer == null ? new byte[0] : buffer.getBytes();
        Instant at = clock.instant();
        Faults.Planned plan = faults.next();
        Answer answer;
        if (plan.status() != null) {
            answer = injected(plan, raw, at);
        } else if (raw.length > EventValidator.MAX_BODY_BYTES) {
            answer = oversize(at);
        } else {
            answer = ingestChange(raw, at);
        }
        faults.answered(answer.status());
        if (plan.delay().isZero()) {
            write(ctx, answer);
        } else {
            vertx.setTimer(plan.delay().toMillis(), t -> write(ctx, answer));
        }
    }

    private Answer ingestChange(byte[] raw, Instant at) {
        ObjectNode event = parse(raw);
        List<String> errors = event == null ? List.of("JSON parse error") : changeValidator.validate(event);
        if (!errors.isEmpty()) {
            rememberChange(event, 400, ReceivedEvent.REJECTED, at);
            return invalid(errors);
        }
        String routingKey = event.get("routing_key").asText();
        if (!rateWindow.tryAcquire(routingKey)) {
            rememberChange(event, 429, ReceivedEvent.THROTTLED, at);
            return throttled(null);
        }
        store.recordChange(routingKey, event);
        rememberChange(event, 202, ReceivedEvent.CHANGE_RECORDED, at);
        ObjectNode body = Json.object();
        body.put("status", "success");
        body.put("message", "Change event processed");
        return new Answer(202, body, null);
    }

    private synchronized void rememberChange(ObjectNode event, int status, String outcome, Instant at) {
        received.add(new ReceivedEvent(event == null ? null : textOrNull(event.get("routing_key")), ReceivedEvent.CHANGE, null,
                event == null ? NullNode.getInstance() : event, status, outcome, at));
    }

    /** Body over Vert.x's own limit (far beyond 512 KB): answered the way PagerDuty answers any oversize event. */
    void tooLarge(RoutingContext ctx) {
        answer(ctx, null);
    }

    /** {@code raw} is null when the body was too large to even buffer. */
    private void answer(RoutingContext ctx, byte[] raw) {
        Instant at = clock.instant();
        Faults.Planned plan = faults.next();
        Answer answer = plan.status() != null ? injected(plan, raw, at)
                : raw == null ? oversize(at)
                : ingest(raw, at, plan.lost());
        faults.answered(answer.status());
        if (plan.delay().isZero()) {
            write(ctx, answer);
        } else {
            vertx.setTimer(plan.delay().toMillis(), t -> write(ctx, answer));
        }
    }

    private Answer oversize(Instant at) {
        // Checked on raw bytes before parsing: PagerDuty measures the request, not the JSON it contains.
        remember(null, NullNode.getInstance(), null, 400, ReceivedEvent.REJECTED, at);
        return invalid(List.of(EventValidator.TOO_LARGE));
    }

    private Answer ingest(byte[] raw, Instant at, boolean lost) {
        if (raw.length > EventValidator.MAX_BODY_BYTES) {
            return oversize(at);
        }
        ObjectNode event = parse(raw);
        if (event == null) {
            ObjectNode body = Json.object();
            body.put("status", "Unrecognized object");
            body.put("message", "Event object format is unrecognized");
            body.putArray("errors").add("JSON parse error");
            remember(null, NullNode.getInstance(), null, 400, ReceivedEvent.REJECTED, at);
            return new Answer(400, body, null);
        }
        List<String> errors = validator.validate(event);
        if (!errors.isEmpty()) {
            remember(event, event, textOrNull(event.get("dedup_key")), 400, ReceivedEvent.REJECTED, at);
            return invalid(errors);
        }

        String routingKey = event.get("routing_key").asText();
        String action = event.get("event_action").asText();
        JsonNode dedupNode = event.get("dedup_key");
        String dedupKey = dedupNode == null || dedupNode.isNull() || dedupNode.asText().isBlank()
                ? UUID.randomUUID().toString().replace("-", "") // PagerDuty generates a 32-hex key for keyless triggers
                : dedupNode.asText();

        if (!rateWindow.tryAcquire(routingKey)) {
            remember(event, event, dedupKey, 429, ReceivedEvent.THROTTLED, at);
            return throttled(null);
        }
        String outcome = lost ? ReceivedEvent.LOST : switch (action) {
            case "trigger" -> store.triggerAlert(routingKey, dedupKey, event);
            case "acknowledge" -> store.acknowledgeAlert(routingKey, dedupKey);
            case "resolve" -> store.resolveAlert(routingKey, dedupKey);
            default -> throw new IllegalStateException("validator let through event_action " + action);
        };
        remember(event, event, dedupKey, 202, outcome, at);
        ObjectNode body = Json.object();
        body.put("status", "success");
        body.put("message", "Event processed");
        body.put("dedup_key", dedupKey);
        return new Answer(202, body, null);
    }

    private Answer injected(Faults.Planned plan, byte[] raw, Instant at) {
        ObjectNode event = raw != null && raw.length <= EventValidator.MAX_BODY_BYTES ? parse(raw) : null;
        remember(event, event == null ? NullNode.getInstance() : event,
                event == null ? null : textOrNull(event.get("dedup_key")), plan.status(), ReceivedEvent.FAULT, at);
        if (plan.status() == 429) {
            return throttled(plan.retryAfterSeconds());
        }
        ObjectNode body = Json.object();
        body.put("status", "error");
        body.put("message", plan.status() == 503 ? "Service Unavailable" : "Internal Server Error");
        return new Answer(plan.status(), body, plan.retryAfterSeconds());
    }

    private static Answer invalid(List<String> errors) {
        ObjectNode body = Json.object();
        body.put("status", "invalid event");
        body.put("message", "Event object is invalid");
        errors.forEach(body.putArray("errors")::add);
        return new Answer(400, body, null);
    }

    private static Answer throttled(Integer retryAfterSeconds) {
        ObjectNode body = Json.object();
        body.put("status", "throttle event");
        body.put("message", "Requests for this service are arriving too quickly. Please back off and try again later.");
        return new Answer(429, body, retryAfterSeconds);
    }

    private void write(RoutingContext ctx, Answer answer) {
        if (answer.retryAfterSeconds() != null) {
            ctx.response().putHeader("Retry-After", String.valueOf(answer.retryAfterSeconds()));
        }
        Replies.json(ctx, answer.status(), answer.body());
    }

    private synchronized void remember(ObjectNode event, JsonNode body, String dedupKey, int status, String outcome,
                                     Instant at) {
        String routingKey = event == null ? null : textOrNull(event.get("routing_key"));
        String action = event == null ? null : textOrNull(event.get("event_action"));
        received.add(new ReceivedEvent(routingKey, action, dedupKey, body, status, outcome, at));
    }

    private static ObjectNode parse(byte[] raw) {
        try {
            JsonNode node = Json.MAPPER.readTree(raw);
            return node instanceof ObjectNode object ? object : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }
}
