package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides whether a Change Event ({@code POST /v2/change/enqueue}) would be accepted by PagerDuty: a 32-character
 * integration key that is not a ruleset key (those start with R and take no change events), a payload with a summary
 * of at most 1024 characters, optional source, ISO-8601 timestamp and object custom_details, top-level links of
 * {href, text}, and 512 KB in all (checked on the raw bytes by the caller).
 */
final class ChangeEventValidator {

    private static final int ROUTING_KEY_LENGTH = 32;
    private static final int MAX_SUMMARY = 1024;

    List<String> validate(ObjectNode event) {
        List<String> errors = new ArrayList<>();
        JsonNode routingKey = event.get("routing_key");
        if (routingKey == null || !routingKey.isTextual() || routingKey.asText().isBlank()) {
            errors.add("'routing_key' is missing or blank");
        } else if (routingKey.asText().length() != ROUTING_KEY_LENGTH) {
            errors.add("Length of 'routing_key' is incorrect (should be 32 characters)");
        } else if (routingKey.asText().startsWith("R")) {
            errors.add("'routing_key' is a ruleset key: change events cannot be sent to rulesets");
        }
        JsonNode payload = event.get("payload");
        if (payload == null || !payload.isObject()) {
            errors.add("'payload' is missing or not an object");
        } else {
            JsonNode summary = payload.get("summary");
            if (summary == null || !summary.isTextual() || summary.asText().isBlank()) {
                errors.add("'payload.summary' is missing or blank");
            } else if (summary.asText().codePointCount(0, summary.asText().length()) > MAX_SUMMARY) {
                errors.add("Length of 'payload.summary' is incorrect (should be at most 1024 characters)");
            }
            JsonNode source = payload.get("source");
            if (source != null && !source.isNull() && !source.isTextual()) {
                errors.add("'payload.source' is invalid (must be a string)");
            }
            JsonNode timestamp = payload.get("timestamp");
            if (timestamp != null && !timestamp.isNull() && !(timestamp.isTextual() && isIso(timestamp.asText()))) {
                errors.add("'payload.timestamp' is invalid (must be an ISO-8601 date-time)");
            }
            JsonNode details = payload.get("custom_details");
            if (details != null && !details.isNull() && !details.isObject()) {
                errors.add("'payload.custom_details' is invalid (must be an object)");
            }
        }
        JsonNode links = event.get("links");
        if (links != null && !links.isNull()) {
            if (!links.isArray()) {
                errors.add("'links' is invalid (must be an array)");
            } else {
                for (int i = 0; i < links.size(); i++) {
                    JsonNode link = links.get(i);
                    JsonNode href = link.get("href");
                    if (!link.isObject() || href == null || !href.isTextual() || href.asText().isBlank()) {
                        errors.add("'links[" + i + "].href' is missing or blank");
                    }
                    JsonNode text = link.get("text");
                    if (link.isObject() && text != null && !text.isNull() && !text.isTextual()) {
                        errors.add("'links[" + i + "].text' is invalid (must be a string)");
                    }
                }
            }
        }
        return errors;
    }

    private static boolean isIso(String text) {
        try {
            DateTimeFormatter.ISO_DATE_TIME.parse(text);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
