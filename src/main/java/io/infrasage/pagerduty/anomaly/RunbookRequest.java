package io.infrasage.pagerduty.anomaly;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.http.InvalidRequestException;
import io.infrasage.pagerduty.http.StrictJson;

/**
 * What a runbook says when it resolves or acknowledges an anomaly: which runbook, which actor, an optional note. Every
 * field is optional, and so is the body.
 */
record RunbookRequest(String runbook, String actor, String note) {

    static final String UNNAMED = "unnamed runbook";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** @param what the request's name in error answers, e.g. "resolve" */
    static RunbookRequest parse(Object body, String what) {
        JsonNode node = object(body, "invalid " + what + " request");
        List<String> problems = new ArrayList<>();
        String runbook = text(node, "runbook", 200, problems);
        String actor = text(node, "actor", 200, problems);
        String note = text(node, "note", 65_535, problems);
        if (!problems.isEmpty()) {
            throw InvalidRequestException.badRequest("invalid " + what + " request", problems);
        }
        return new RunbookRequest(runbook == null ? UNNAMED : runbook, actor, note);
    }

    /** The body as a JSON object; an empty body is an empty object. */
    static JsonNode object(Object body, String error) {
        JsonNode node;
        try {
            String text = body == null ? "" : body instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : body.toString();
            // duplicate keys and trailing tokens are ambiguous: refused with their position, as for anomalies
            node = text.isBlank() ? JSON.createObjectNode() : StrictJson.read(text, error);
        } catch (InvalidRequestException e) {
            throw e;
        } catch (RuntimeException e) {
            throw InvalidRequestException.badRequest(error, List.of("body is not valid JSON"));
        }
        if (node == null || !node.isObject()) {
            throw InvalidRequestException.badRequest(error, List.of("body must be a JSON object"));
        }
        return node;
    }

    /** An optional string field of at most max characters; problems are collected, not thrown. */
    static String text(JsonNode node, String name, int max, List<String> problems) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            problems.add("$." + name + ": must be a string");
            return null;
        }
        if (v.asText().length() > max) {
            problems.add("$." + name + ": must be at most " + max + " characters");
        }
        return v.asText();
    }
}
