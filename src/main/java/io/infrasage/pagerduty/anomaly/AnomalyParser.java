package io.infrasage.pagerduty.anomaly;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.http.InvalidRequestException;
import io.infrasage.pagerduty.http.StrictJson;
import org.apache.camel.util.IOHelper;

/**
 * Turns a posted body (JSON text or bytes, or a Map/JsonNode from a host route) into an Anomaly, or refuses it with
 * 400 naming every problem the schema finds; a JSON array is a batch, whose items it reads one by one. Fields that are only too long are cut, never refused (AnomalyFieldLimits).
 */
public final class AnomalyParser {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter RFC_3339 = new DateTimeFormatterBuilder().parseCaseInsensitive()
            .append(DateTimeFormatter.ISO_LOCAL_DATE).optionalStart().appendLiteral('T').optionalEnd()
            .optionalStart().appendLiteral(' ').optionalEnd().append(DateTimeFormatter.ISO_LOCAL_TIME).appendOffsetId()
            .toFormatter().withResolverStyle(ResolverStyle.LENIENT);
    private final JsonSchema schema;
    private final BundleMetrics metrics;

    public AnomalyParser() {
        this(new BundleMetrics());
    }

    /** @param metrics counts every refused anomaly as anomalies{outcome="rejected"} */
    public AnomalyParser(BundleMetrics metrics) {
        this.metrics = metrics;
        try (InputStream in = AnomalyParser.class.getClassLoader().getResourceAsStream("schema/anomaly.schema.json")) {
            SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in, config);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read schema/anomaly.schema.json", e);
        }
    }

    /**
     * One anomaly or a batch: a JSON array (or a List from a host route) becomes the list of its items, each read by
     * {@link #parse} later on its own; any other body is read here once and left for {@link #parse}.
     */
    public Object oneOrMany(Object body) {
        if (body instanceof List<?> || body instanceof Map<?, ?>) {
            return body;
        }
        JsonNode node;
        try {
            node = toJson(body);
        } catch (InvalidRequestException e) {
            metrics.anomaly("rejected");
            throw e;
        }
        if (node != null && node.isArray()) {
            List<JsonNode> items = new ArrayList<>(node.size());
            node.forEach(items::add);
            return items;
        }
        return node;
    }

    public Anomaly parse(Object body) {
        try {
            return read(body);
        } catch (InvalidRequestException e) {
            metrics.anomaly("rejected");
            throw e;
        }
    }

    private Anomaly read(Object body) {
        JsonNode node = toJson(body);
        if (node == null || !node.isObject()) {
            throw InvalidRequestException.badRequest("invalid anomaly", List.of("body must be a JSON object"));
        }
        List<String> problems = schema.validate(node).stream()
                .sorted(Comparator.comparing(ValidationMessage::getInstanceLocation, Comparator.comparing(Object::toString)))
                .map(ValidationMessage::getMessage).toList();
        if (!problems.isEmpty()) {
            throw InvalidRequestException.badRequest("invalid anomaly", problems);
        }
        return AnomalyFieldLimits.cut(new Anomaly(
                node.get("anomaly_id").asText(),
                node.get("service").asText(),
                text(node, "metric"),
                node.hasNonNull("value") ? node.get("value").asDouble() : null,
                text(node, "unit"),
                node.get("score").asDouble(),
                text(node, "root_cause"),
                strings(node.get("blast_radius")),
                strings(node.get("suggested_actions")),
                node.hasNonNull("rca_confidence") ? node.get("rca_confidence").asDouble() : null,
                text(node, "environment"),
                node.hasNonNull("detected_at") ? instant(node.get("detected_at").asText()) : null,
                text(node, "infrasage_url"),
                text(node, "summary")));
    }

    private static JsonNode toJson(Object body) {
        try {
            if (body instanceof JsonNode n) {
                return n;
            }
            if (body instanceof Map<?, ?> m) {
                return JSON.valueToTree(m);
            }
            // one document, each key once: see StrictJson
            if (body instanceof byte[] bytes) {
                return StrictJson.read(bytes, "invalid anomaly");
            }
            if (body instanceof String s) {
                return StrictJson.read(s, "invalid anomaly");
            }
            if (body instanceof InputStream in) {
                return StrictJson.read(in, "invalid anomaly");
            }
            // the form Camel Spring Boot's platform-http gives a request body in
            if (body instanceof Reader reader) {
                return StrictJson.read(IOHelper.toString(reader), "invalid anomaly");
            }
            if (body == null) {
                return null;
            }
            return JSON.valueToTree(body);
        } catch (IllegalArgumentException e) {
            throw InvalidRequestException.badRequest("invalid anomaly", List.of("body cannot be read as a JSON object"));
        } catch (IOException e) {
            throw new UncheckedIOException("the request body could not be read", e);
        }
    }

    /**
     * The schema's date-time is RFC 3339, which also allows a space instead of 'T' and a leap second (:60);
     * OffsetDateTime.parse allows neither and would turn such a valid anomaly into a 500. A leap second is read as the
     * next second.
     */
    static Instant instant(String text) {
        try {
            return RFC_3339.parse(text, OffsetDateTime::from).toInstant();
        } catch (DateTimeException e) {
            throw InvalidRequestException.badRequest("invalid anomaly",
                    List.of("/detected_at: '" + text + "' is not an RFC 3339 date-time"));
        }
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null && array.isArray()) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }
}
