package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * One request to the Events API as the sandbox saw it, with the status it answered and what it did.
 *
 * @param routingKey  the routing_key, or null when the body could not be read
 * @param eventAction trigger, acknowledge, resolve, or whatever the client sent (null when unreadable); {@link #CHANGE}
 *                    for a change event (POST /v2/change/enqueue, which has no event_action)
 * @param dedupKey    the dedup key in effect (the generated one for a trigger without dedup_key)
 * @param body        the body exactly as parsed (NullNode when it was not a JSON object)
 * @param status      the HTTP status answered
 * @param outcome     one of {@link #CREATED}, {@link #DEDUPLICATED}, {@link #DROPPED}, {@link #ACKNOWLEDGED},
 *                    {@link #RESOLVED}, {@link #REJECTED}, {@link #THROTTLED}, {@link #FAULT}, {@link #LOST}
 * @param at          when the request arrived
 */
public record ReceivedEvent(String routingKey, String eventAction, String dedupKey, JsonNode body, int status,
                            String outcome, Instant at) {

    public static final String CREATED = "created";
    public static final String DEDUPLICATED = "deduplicated";
    /** Accepted with 202 but changed nothing: wrong routing key, or no open alert for the dedup key. */
    public static final String DROPPED = "dropped";
    public static final String ACKNOWLEDGED = "acknowledged";
    public static final String RESOLVED = "resolved";
    public static final String REJECTED = "rejected";
    public static final String THROTTLED = "throttled";
    /** The eventAction recorded for a change event. */
    public static final String CHANGE = "change";
    /** A change event accepted and kept on its service. */
    public static final String CHANGE_RECORDED = "change_recorded";
    /** Answered by an injected fault ({@link Faults#respond}); the event was not ingested. */
    public static final String FAULT = "fault";
    /** Valid, answered 202 like any accepted event, then lost ({@link Faults#lose}): PagerDuty never acted on it. */
    public static final String LOST = "lost";
}
