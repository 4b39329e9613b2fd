package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether an Events API v2 body would be accepted by PagerDuty and, if not, produces PagerDuty's error strings.
 *
 * <p>Two layers: PagerDuty's published OpenAPI request schema (so the sandbox cannot drift from the reference file),
 * then the rules PagerDuty enforces that the schema does not express (key length, size limits, conditional
 * requirements). Both layers speak the same error vocabulary, and duplicates collapse, so one problem gives one
 * error string.
 */
final class EventValidator {

    static final String SCHEMA_RESOURCE = "/pagerduty/pagerduty-events-v2.openapi.json";
    static final int MAX_BODY_BYTES = 512 * 1024;
    static final String TOO_LARGE = "Event exceeds the 512 KB size limit";

    private static final int ROUTING_KEY_LENGTH = 32;
    private static final int MAX_SUMMARY = 1024;
    private static final int MAX_DEDUP_KEY = 255;

    // OpenAPI 3.0 keywords that are documentation or mean something else in JSON Schema.
    private static final Set<String> OPENAPI_ONLY = Set.of(
            "example", "examples", "xml", "externalDocs", "deprecated", "discriminator", "readOnly", "writeOnly",
            "nullable");

    // ISO-8601 with any offset spelling: "Z", "+00:00" and PagerDuty's own example style "+0000".
    private static final DateTimeFormatter ISO_TIMESTAMP = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .toFormatter();

    private final JsonSchema schema;

    /** Compiling the schema costs more than starting a sandbox, and a compiled JsonSchema is thread-safe: share it. */
    private static final class Shared {
        static final EventValidator INSTANCE = new EventValidator();
    }

    static EventValidator shared() {
        return Shared.INSTANCE;
    }

    EventValidator() {
        this.schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(
                requestSchema(loadOpenApi()),
                SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build());
    }

    /** Returns PagerDuty's error strings for a parsed JSON object; empty means PagerDuty would accept it. */
    List<String> validate(ObjectNode event) {
        Set<String> errors = new LinkedHashSet<>();
        for (ValidationMessage message : schema.validate(event)) {
            errors.add(describe(message));
        }
        extraRules(event, errors);
        return List.copyOf(errors);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Rules PagerDuty enforces beyond the schema.

    private static void extraRules(ObjectNode event, Set<String> errors) {
        JsonNode routingKey = event.get("routing_key");
        if (routingKey != null && routingKey.isTextual() && routingKey.asText().length() != ROUTING_KEY_LENGTH) {
            errors.add("Length of 'routing_key' is incorrect (should be 32 characters)");
        }

        JsonNode dedupKey = event.get("dedup_key");
        if (dedupKey != null && dedupKey.isTextual() && dedupKey.asText().length() > MAX_DEDUP_KEY) {
            errors.add("Length of 'dedup_key' is incorrect (should be at most 255 characters)");
        }

        String action = event.path("event_action").asText("");
        if (action.equals("acknowledge") || action.equals("resolve")) {
            // Without a dedup key PagerDuty cannot tell which alert to update.
            if (dedupKey == null || dedupKey.isNull() || (dedupKey.isTextual() && dedupKey.asText().isBlank())) {
                errors.add("'dedup_key' is missing or blank");
            }
        }
        if (action.equals("trigger")) {
            JsonNode payload = event.get("payload");
            if (payload == null || payload.isNull()) {
                errors.add("'payload' is missing");
            } else if (payload.isObject()) {
                notBlank(payload, "summary", errors);
                notBlank(payload, "source", errors);
                JsonNode summary = payload.get("summary");
                if (summary != null && summary.isTextual()
                        && summary.asText().codePointCount(0, summary.asText().length()) > MAX_SUMMARY) {
                    // PagerDuty's docs cap summaries at 1024 characters; refusing longer ones forces clients to truncate.
                    errors.add("Length of 'payload.summary' is incorrect (should be at most 1024 characters)");
                }
                JsonNode timestamp = payload.get("timestamp");
                if (timestamp != null && timestamp.isTextual() && !isIsoTimestamp(timestamp.asText())) {
                    errors.add("'payload.timestamp' is invalid (must be an ISO-8601 date-time)");
                }
            }
        }

        JsonNode images = event.get("images");
        if (images != null && images.isArray()) {
            for (int i = 0; i < images.size(); i++) {
                JsonNode src = images.get(i).get("src");
                if (src != null && src.isTextual() && !isAbsoluteHttps(src.asText())) {
                    errors.add("'images[" + i + "].src' is invalid (must be an absolute https URL)");
                }
            }
        }
    }

    private static void notBlank(JsonNode parent, String field, Set<String> errors) {
        JsonNode value = parent.get(field);
        if (value != null && value.isTextual() && value.asText().isBlank()) {
            errors.add("'payload." + field + "' is missing or blank");
        }
    }

    private static boolean isIsoTimestamp(String text) {
        try {
            ISO_TIMESTAMP.parse(text); // a local date-time without offset is ISO-8601 too
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static boolean isAbsoluteHttps(String text) {
        try {
            URI uri = new URI(text);
            return "https".equalsIgnoreCase(uri.getScheme()) && uri.getHost() != null;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Schema messages in PagerDuty's wording.

    private static String describe(ValidationMessage message) {
        String at = path(message.getInstanceLocation());
        switch (message.getType()) {
            case "required":
                return "'" + join(at, message.getProperty()) + "' is missing or blank";
            case "enum":
                return "'" + at + "' is invalid (must be one of the following: "
                        + choices(message.getSchemaNode()) + ")";
            case "type":
                return "'" + at + "' is invalid (must be " + article(message.getSchemaNode().asText()) + ")";
            case "format":
                return "'" + at + "' is invalid (must be "
                        + ("uri".equals(message.getSchemaNode().asText()) ? "an absolute URL" : "a valid "
                        + message.getSchemaNode().asText()) + ")";
            default:
                return "'" + at + "' is invalid (" + message.getMessage() + ")";
        }
    }

    /** "$.images[0].src" style path without the "$." — the way PagerDuty names fields in its errors. */
    private static String path(JsonNodePath location) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < location.getNameCount(); i++) {
            Object element = location.getElement(i);
            if (element instanceof Integer index) {
                out.append('[').append(index).append(']');
            } else {
                out.append(out.length() == 0 ? "" : ".").append(element);
            }
        }
        return out.toString();
    }

    private static String join(String parent, String child) {
        return parent.isEmpty() ? child : parent + "." + child;
    }

    /** ['critical', 'warning', 'error', 'info'] becomes "'critical', 'warning', 'error' or 'info'" as PagerDuty writes it. */
    private static String choices(JsonNode enumNode) {
        List<String> quoted = new ArrayList<>();
        enumNode.forEach(value -> quoted.add("'" + value.asText() + "'"));
        if (quoted.size() < 2) {
            return String.join("", quoted);
        }
        return String.join(", ", quoted.subList(0, quoted.size() - 1)) + " or " + quoted.get(quoted.size() - 1);
    }

    private static String article(String type) {
        return (type.startsWith("a") || type.startsWith("o") || type.startsWith("i") ? "an " : "a ") + type;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // OpenAPI -> JSON Schema.

    private static JsonNode loadOpenApi() {
        try (InputStream in = EventValidator.class.getResourceAsStream(SCHEMA_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing classpath resource " + SCHEMA_RESOURCE);
            }
            return Json.MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The /enqueue request body schema as a self-contained draft-07 schema: every {@code #/components/schemas/X} is
     * inlined (the schemas are not recursive) and OpenAPI-only keywords are dropped.
     */
    static ObjectNode requestSchema(JsonNode openApi) {
        JsonNode request = openApi.at("/paths/~1enqueue/post/requestBody/content/application~1json/schema");
        if (!request.isObject()) {
            throw new IllegalStateException("OpenAPI file has no /enqueue request schema");
        }
        ObjectNode schema = (ObjectNode) inline(request, openApi.path("components").path("schemas"), new ArrayDeque<>());
        schema.put("$schema", "http://json-schema.org/draft-07/schema#");
        return schema;
    }

    private static JsonNode inline(JsonNode node, JsonNode components, Deque<String> resolving) {
        if (node.isArray()) {
            ArrayNode copy = Json.MAPPER.createArrayNode();
            node.forEach(item -> copy.add(inline(item, components, resolving)));
            return copy;
        }
        if (!node.isObject()) {
            return node;
        }
        JsonNode ref = node.get("$ref");
        if (ref != null) {
            String prefix = "#/components/schemas/";
            String name = ref.asText().startsWith(prefix) ? ref.asText().substring(prefix.length()) : null;
            if (name == null || !components.has(name) || resolving.contains(name)) {
                throw new IllegalStateException("cannot inline $ref " + ref.asText());
            }
            resolving.push(name);
            JsonNode resolved = inline(components.get(name), components, resolving);
            resolving.pop();
            return resolved; // OpenAPI 3.0: siblings of $ref are ignored
        }
        ObjectNode copy = Json.object();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (key.equals("properties")) {
                // property names are data, not keywords: a property called "example" must survive
                ObjectNode properties = copy.putObject("properties");
                value.fields().forEachRemaining(p -> properties.set(p.getKey(), inline(p.getValue(), components, resolving)));
            } else if (key.startsWith("x-") || OPENAPI_ONLY.contains(key)) {
                continue;
            } else if (key.equals("format") && value.asText().equals("url")) {
                copy.put("format", "uri"); // OpenAPI's informal "url" is JSON Schema's absolute "uri"
            } else if (key.equals("format") && value.asText().equals("date-time")) {
                // RFC 3339 would reject "+0000", which PagerDuty's own example uses; the ISO-8601 check is in extraRules.
                continue;
            } else {
                copy.set(key, inline(value, components, resolving));
            }
        }
        return copy;
    }
}
