package io.infrasage.pagerduty.anomaly;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Builds Events API v2 events in the seed's shape and inside PagerDuty's limits. A page must never be lost to a limit:
 * the summary is cut, and custom_details shrink, rather than the event being refused.
 */
public final class PagerDutyEvents {

    /** PagerDuty: payload.summary is at most 1024 characters. */
    static final int MAX_SUMMARY_CHARS = 1024;
    /** PagerDuty: a whole event is at most 512 KB. */
    static final int MAX_EVENT_BYTES = 512 * 1024;
    /** First shrinking step: long texts and lists in custom_details are cut to these sizes. */
    static final int SHRUNK_TEXT_CHARS = 1024;
    static final int SHRUNK_LIST_ITEMS = 50;
    static final String SOURCE = "infrasage";
    static final String CLIENT = "InfraSage";

    private static final ObjectMapper JSON = new ObjectMapper();

    private PagerDutyEvents() {
    }

    public static ObjectNode trigger(Anomaly a, String severity, String routingKey) {
        ObjectNode event = JSON.createObjectNode();
        event.put("routing_key", routingKey);
        event.put("event_action", "trigger");
        event.put("dedup_key", a.dedupKey());
        ObjectNode payload = event.putObject("payload");
        payload.put("summary", truncate(summary(a), MAX_SUMMARY_CHARS));
        payload.put("severity", severity);
        payload.put("source", SOURCE);
        payload.put("component", a.service());
        if (a.environment() != null) {
            payload.put("group", a.environment());
        }
        if (a.detectedAt() != null) {
            payload.put("timestamp", a.detectedAt().toString());
        }
        ObjectNode details = payload.putObject("custom_details");
        details.put("anomaly_id", a.anomalyId());
        putIfPresent(details, "root_cause", a.rootCause());
        if (!a.blastRadius().isEmpty()) {
            strings(details.putArray("blast_radius"), a.blastRadius());
        }
        if (!a.suggestedActions().isEmpty()) {
            strings(details.putArray("suggested_actions"), a.suggestedActions());
        }
        if (a.rcaConfidence() != null) {
            details.put("rca_confidence", a.rcaConfidence());
        }
        putIfPresent(details, "infrasage_url", a.infrasageUrl());
        event.put("client", CLIENT);
        if (a.infrasageUrl() != null) {
            // client_url and links sit at the top level of the event, not inside payload
            event.put("client_url", a.infrasageUrl());
            event.putArray("links").addObject().put("href", a.infrasageUrl()).put("text", "InfraSage anomaly " + a.anomalyId());
        }
        return fitWithinLimit(event);
    }

    public static ObjectNode resolve(String dedupKey, String routingKey) {
        ObjectNode event = JSON.createObjectNode();
        event.put("routing_key", routingKey);
        event.put("event_action", "resolve");
        event.put("dedup_key", dedupKey);
        return event;
    }

    /** The seed's summary: "CPU anomaly on payment-api: 87% CPU (score: 0.93)". */
    public static String summary(Anomaly a) {
        if (a.summary() != null && !a.summary().isBlank()) {
            return a.summary();
        }
        String score = " (score: " + BigDecimal.valueOf(a.score()).stripTrailingZeros().toPlainString() + ")";
        if (a.metric() == null) {
            return "Anomaly on " + a.service() + score;
        }
        StringBuilder s = new StringBuilder(a.metric()).append(" anomaly on ").append(a.service());
        if (a.value() != null) {
            s.append(": ").append(BigDecimal.valueOf(a.value()).stripTrailingZeros().toPlainString())
                    .append(a.unit() == null ? "" : a.unit()).append(' ').append(a.metric());
        }
        return s.append(score).toString();
    }

    static ObjectNode fitWithinLimit(ObjectNode event) {
        if (size(event) <= MAX_EVENT_BYTES) {
            return event;
        }
        ObjectNode details = (ObjectNode) event.path("payload").path("custom_details");
        details.properties().forEach(e -> {
            if (e.getValue().isTextual()) {
                e.setValue(details.textNode(truncate(e.getValue().asText(), SHRUNK_TEXT_CHARS)));
            } else if (e.getValue().isArray()) {
                ArrayNode list = (ArrayNode) e.getValue();
                while (list.size() > SHRUNK_LIST_ITEMS) {
                    list.remove(list.size() - 1);
                }
                for (int i = 0; i < list.size(); i++) {
                    if (list.get(i).isTextual()) {
                        list.set(i, list.textNode(truncate(list.get(i).asText(), SHRUNK_TEXT_CHARS)));
                    }
                }
            }
        });
        details.put("truncated", "custom_details were shrunk to fit PagerDuty's 512 KB event limit; see InfraSage for the full RCA");
        if (size(event) <= MAX_EVENT_BYTES) {
            return event;
        }
        details.retain("anomaly_id", "infrasage_url", "truncated");
        return event;
    }

    static int size(ObjectNode event) {
        return event.toString().getBytes(StandardCharsets.UTF_8).length;
    }

    /** Cuts to at most max characters without splitting a surrogate pair, marking the cut with an ellipsis. */
    static String truncate(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int end = max - 1;
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end) + "…";
    }

    private static void putIfPresent(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
