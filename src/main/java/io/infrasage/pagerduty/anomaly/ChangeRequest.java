package io.infrasage.pagerduty.anomaly;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.infrasage.pagerduty.http.InvalidRequestException;

/**
 * What a runbook changed, {@code {"summary", "runbook", "details", "links"}}, and the PagerDuty Change Event that tells
 * it on a routing key (shown under the service's recent changes and in its incidents' context).
 */
record ChangeRequest(String summary, String runbook, ObjectNode details, ArrayNode links, List<String> cuts) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INVALID = "invalid change request";

    static ChangeRequest parse(Object body) {
        JsonNode node = RunbookRequest.object(body, INVALID);
        List<String> problems = new ArrayList<>();
        List<String> cuts = new ArrayList<>();
        String summary = RunbookRequest.text(node, "summary", Integer.MAX_VALUE, problems);
        if (summary == null || summary.isBlank()) {
            if (!node.hasNonNull("summary") || node.get("summary").isTextual()) {
                problems.add("$.summary: is required (what the runbook changed, e.g. \"restarted 3 pods of payment-api\")");
            }
        } else if (summary.length() > PagerDutyEvents.MAX_SUMMARY_CHARS) {
            // like a trigger's summary: cut to PagerDuty's limit with a mark, not refused
            cuts.add("summary: " + summary.length() + " characters, the first " + PagerDutyEvents.MAX_SUMMARY_CHARS + " kept");
            summary = PagerDutyEvents.truncate(summary, PagerDutyEvents.MAX_SUMMARY_CHARS);
        }
        String runbook = RunbookRequest.text(node, "runbook", 200, problems);
        JsonNode details = node.get("details");
        if (details != null && !details.isNull() && !details.isObject()) {
            problems.add("$.details: must be a JSON object");
        }
        ArrayNode links = JSON.createArrayNode();
        JsonNode given = node.get("links");
        if (given != null && !given.isNull()) {
            if (!given.isArray()) {
                problems.add("$.links: must be an array of {\"href\", \"text\"}");
            } else {
                for (int i = 0; i < given.size(); i++) {
                    link(given.get(i), "$.links[" + i + "]", problems).ifPresent(links::add);
                }
            }
        }
        if (!problems.isEmpty()) {
            throw InvalidRequestException.badRequest(INVALID, problems);
        }
        return new ChangeRequest(summary, runbook, details instanceof ObjectNode o ? o : JSON.createObjectNode(), links, cuts);
    }

    private static Optional<ObjectNode> link(JsonNode l, String at, List<String> problems) {
        if (l == null || !l.isObject()) {
            problems.add(at + ": must be an object {\"href\", \"text\"}");
            return Optional.empty();
        }
        JsonNode href = l.get("href");
        if (href == null || !href.isTextual() || !absolute(href.asText())) {
            problems.add(at + ".href: is required, an absolute http(s) URL");
        }
        JsonNode text = l.get("text");
        if (text != null && !text.isNull() && !text.isTextual()) {
            problems.add(at + ".text: must be a string");
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("href", href == null ? "" : href.asText());
        if (text != null && text.isTextual()) {
            out.put("text", text.asText());
        }
        return Optional.of(out);
    }

    private static boolean absolute(String url) {
        try {
            URI uri = new URI(url);
            return uri.getHost() != null && ("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()));
        } catch (Exception e) {
            return false;
        }
    }

    /** The change event for one routing key; the anomaly is named in custom_details so the change can be traced back. */
    ObjectNode event(String routingKey, String anomalyId, String dedupKey, Instant at) {
        ObjectNode event = JSON.createObjectNode();
        event.put("routing_key", routingKey);
        ObjectNode payload = event.putObject("payload");
        payload.put("summary", summary);
        payload.put("source", runbook == null ? PagerDutyEvents.SOURCE : runbook);
        payload.put("timestamp", at.toString());
        ObjectNode custom = payload.putObject("custom_details");
        custom.setAll(details);
        custom.put("anomaly_id", anomalyId);
        custom.put("dedup_key", dedupKey);
        if (runbook != null) {
            custom.put("runbook", runbook);
        }
        if (!links.isEmpty()) {
            event.set("links", links);
        }
        int size = event.toString().getBytes(StandardCharsets.UTF_8).length;
        if (size > PagerDutyEvents.MAX_EVENT_BYTES) {
            throw InvalidRequestException.badRequest(INVALID, List.of("the change event would be " + size
                    + " bytes, over PagerDuty's 512 KB: send smaller details"));
        }
        return event;
    }
}
