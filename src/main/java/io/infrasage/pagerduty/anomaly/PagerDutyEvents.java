package io.infrasage.pagerduty.anomaly;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.infrasage.pagerduty.memory.PastResolution;

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
    /** custom_details field listing what was cut from the anomaly or the event. */
    static final String CUT = "cut";
    /** custom_details field carrying what resolved this service before (incident memory). */
    public static final String PAST_RESOLUTIONS = "past_resolutions";
    static final String CLIENT = "InfraSage";

    private static final ObjectMapper JSON = new ObjectMapper();

    private PagerDutyEvents() {
    }

    public static ObjectNode trigger(Anomaly a, String severity, String routingKey) {
        return trigger(a, severity, routingKey, List.of()).event();
    }

    /**
     * A trigger event within PagerDuty's limits, what had to be cut for it (the anomaly's own cuts first), how many
     * past resolutions it carries, and its JSON text (the text its size was measured on: serialised once, not again).
     */
    public record Trigger(ObjectNode event, List<String> cuts, int pastResolutions, String json) {
    }

    /** The trigger for one routing key, carrying the past resolutions given (most relevant first) as far as they fit. */
    public static Trigger trigger(Anomaly a, String severity, String routingKey, List<PastResolution> memory) {
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
        if (!memory.isEmpty()) {
            ArrayNode past = details.putArray(PAST_RESOLUTIONS);
            memory.forEach(m -> past.add(pastResolution(m)));
        }
        event.put("client", CLIENT);
        if (a.infrasageUrl() != null) {
            // client_url and links sit at the top level of the event, not inside payload
            event.put("client_url", a.infrasageUrl());
            event.putArray("links").addObject().put("href", a.infrasageUrl()).put("text", "InfraSage anomaly " + a.anomalyId());
        }
        List<String> cuts = new ArrayList<>(a.cuts());
        String json = fitWithinLimit(event, cuts);
        JsonNode carried = details.get(PAST_RESOLUTIONS);
        return new Trigger(event, List.copyOf(cuts), carried == null ? 0 : carried.size(), json);
    }

    /** One entry of custom_details.past_resolutions: what fixed this service before, and where to read more. */
    static ObjectNode pastResolution(PastResolution m) {
        ObjectNode entry = JSON.createObjectNode();
        entry.put("anomaly_id", m.anomalyId());
        entry.put("resolved_at", m.resolvedAt() == null ? null : m.resolvedAt().toString());
        entry.put("resolved_by", m.resolvedBy());
        entry.put("root_cause", m.rootCause());
        entry.put("note", m.note());
        entry.put("incident_url", m.incidentUrl());
        return entry;
    }

    /** A runbook started work: acknowledges the alert of this dedup key, if sent with the trigger's routing key. */
    public static ObjectNode acknowledge(String dedupKey, String routingKey) {
        return followUp("acknowledge", dedupKey, routingKey);
    }

    /** A runbook fixed it: resolves the alert of this dedup key, if sent with the trigger's routing key. */
    public static ObjectNode resolve(String dedupKey, String routingKey) {
        return followUp("resolve", dedupKey, routingKey);
    }

    /** An event about the trigger's alert: no payload, only which alert (routing key and dedup key) and what to do. */
    private static ObjectNode followUp(String action, String dedupKey, String routingKey) {
        ObjectNode event = JSON.createObjectNode();
        event.put("routing_key", routingKey);
        event.put("event_action", action);
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

    /**
     * Brings the event under PagerDuty's 512 KB, never dropping the page. What goes first is what the responder needs
     * least: past resolutions (least relevant first), then long texts and lists of the anomaly, then all but its id and
     * link. Every step is named in cuts, which custom_details.cut carries (it is measured with the event). Returns the
     * event's JSON text as last measured, so it is not serialised again.
     */
    private static String fitWithinLimit(ObjectNode event, List<String> cuts) {
        ObjectNode details = (ObjectNode) event.path("payload").path("custom_details");
        writeCuts(details, cuts);
        String json = event.toString();
        if (fits(json)) {
            return json;
        }
        JsonNode past = details.get(PAST_RESOLUTIONS);
        if (past instanceof ArrayNode entries) {
            int carried = entries.size();
            while (!entries.isEmpty() && size(event) > MAX_EVENT_BYTES) {
                entries.remove(entries.size() - 1);
            }
            if (entries.isEmpty()) {
                details.remove(PAST_RESOLUTIONS);
            }
            cuts.add(PAST_RESOLUTIONS + ": " + (carried - entries.size()) + " of " + carried + " left out to fit PagerDuty's 512 KB");
            writeCuts(details, cuts);
            json = event.toString();
            if (fits(json)) {
                return json;
            }
        }
        details.properties().forEach(e -> {
            if (e.getKey().equals(CUT)) {
                return;
            }
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
        cuts.add("custom_details: texts cut to " + SHRUNK_TEXT_CHARS + " characters and lists to " + SHRUNK_LIST_ITEMS
                + " items to fit PagerDuty's 512 KB");
        writeCuts(details, cuts);
        json = event.toString();
        if (fits(json)) {
            return json;
        }
        details.retain("anomaly_id", "infrasage_url", "truncated", CUT);
        cuts.add("custom_details: only anomaly_id and infrasage_url kept to fit PagerDuty's 512 KB");
        writeCuts(details, cuts);
        return event.toString();
    }

    /** Whether this JSON text is within PagerDuty's limit; a text of few characters needs no encoding to tell. */
    private static boolean fits(String json) {
        // a UTF-16 unit is at most 3 bytes of UTF-8 (a surrogate pair: 4 bytes for 2 units)
        return json.length() <= MAX_EVENT_BYTES / 3 || json.getBytes(StandardCharsets.UTF_8).length <= MAX_EVENT_BYTES;
    }

    /** custom_details.cut: what was cut, for the responder reading the page (absent when nothing was). */
    private static void writeCuts(ObjectNode details, List<String> cuts) {
        if (cuts.isEmpty()) {
            details.remove(CUT);
        } else {
            strings(details.putArray(CUT), cuts);
        }
    }

    static int size(ObjectNode event) {
        return event.toString().getBytes(StandardCharsets.UTF_8).length;
    }

    /** Cuts to at most max characters without splitting a surrogate pair, marking the cut with an ellipsis. */
    public static String truncate(String s, int max) {
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
