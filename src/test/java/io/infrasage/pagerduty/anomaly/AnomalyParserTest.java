package io.infrasage.pagerduty.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.infrasage.pagerduty.http.InvalidRequestException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AnomalyParserTest {

    private static final String SEED = """
            {"anomaly_id": "anom-7f3d",
             "service": "payment-api",
             "metric": "CPU",
             "value": 87,
             "unit": "%",
             "score": 0.93,
             "root_cause": "CPU saturation from DB connection pool exhaustion",
             "blast_radius": ["user-service", "checkout-service"],
             "suggested_actions": ["Scale to 5 pods", "Restart pods"],
             "rca_confidence": 0.92,
             "environment": "production",
             "detected_at": "2025-01-15T10:30:00Z",
             "infrasage_url": "https://infrasage.mycompany.com/incidents/anom-7f3d"}
            """;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static AnomalyParser parser;

    @BeforeAll
    static void loadSchemaOnce() {
        parser = new AnomalyParser();
    }

    /** The seed's body with one field replaced by a raw JSON value or, with null, removed. */
    private static String seedWith(String field, String rawJson) {
        try {
            ObjectNode body = (ObjectNode) JSON.readTree(SEED);
            if (rawJson == null) {
                body.remove(field);
            } else {
                body.set(field, JSON.readTree(rawJson));
            }
            return body.toString();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static InvalidRequestException refusal(Object body) {
        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class, () -> parser.parse(body));
        assertThat(e).as("refused").isNotNull();
        assertThat(e.status()).isEqualTo(400);
        return e;
    }

    @Test
    void seedJsonStringParsesIntoEveryField() {
        Anomaly a = parser.parse(SEED);

        assertThat(a.anomalyId()).isEqualTo("anom-7f3d");
        assertThat(a.service()).isEqualTo("payment-api");
        assertThat(a.metric()).isEqualTo("CPU");
        assertThat(a.value()).isEqualTo(87.0);
        assertThat(a.unit()).isEqualTo("%");
        assertThat(a.score()).isEqualTo(0.93);
        assertThat(a.rootCause()).isEqualTo("CPU saturation from DB connection pool exhaustion");
        assertThat(a.blastRadius()).containsExactly("user-service", "checkout-service");
        assertThat(a.suggestedActions()).containsExactly("Scale to 5 pods", "Restart pods");
        assertThat(a.rcaConfidence()).isEqualTo(0.92);
        assertThat(a.environment()).isEqualTo("production");
        assertThat(a.detectedAt()).isEqualTo(Instant.parse("2025-01-15T10:30:00Z"));
        assertThat(a.infrasageUrl()).isEqualTo("https://infrasage.mycompany.com/incidents/anom-7f3d");
        assertThat(a.summary()).isNull();
        assertThat(a.dedupKey()).isEqualTo("infrasage-anom-7f3d");
    }

    @Test
    void seedJsonBytesParseLikeTheString() {
        assertThat(parser.parse(SEED.getBytes(StandardCharsets.UTF_8))).isEqualTo(parser.parse(SEED));
    }

    /** Camel Spring Boot's platform-http gives the body as a Reader; it is read, and refused, like the string. */
    @Test
    void seedJsonFromAReaderParsesLikeTheString() {
        assertThat(parser.parse(new StringReader(SEED))).isEqualTo(parser.parse(SEED));
        assertThat(refusal(new StringReader("{\"anomaly_id\": ")).problems()).containsExactly(refusal("{\"anomaly_id\": ").problems().get(0));
    }

    @Test
    void mapFromAHostRouteParses() {
        Anomaly a = parser.parse(Map.of("anomaly_id", "a-1", "service", "svc", "score", 0.5));

        assertThat(a.anomalyId()).isEqualTo("a-1");
        assertThat(a.score()).isEqualTo(0.5);
        assertThat(a.blastRadius()).isEmpty();
        assertThat(a.value()).isNull();
        assertThat(a.detectedAt()).isNull();
    }

    @Test
    void detectedAtWithAnOffsetIsConvertedToUtc() {
        Anomaly a = parser.parse(seedWith("detected_at", "\"2025-01-15T12:30:00+02:00\""));

        assertThat(a.detectedAt()).isEqualTo(Instant.parse("2025-01-15T10:30:00Z"));
    }

    @Test
    void seedWithHelperProducesValidBodies() {
        // guards the helper the refusal tests rely on: replacing a field with a valid value still parses
        assertThat(parser.parse(seedWith("score", "0.5")).score()).isEqualTo(0.5);
        assertThat(parser.parse(seedWith("infrasage_url", null)).infrasageUrl()).isNull();
    }

    @Test
    void missingServiceIsRefused() {
        InvalidRequestException e = refusal(seedWith("service", null));

        assertThat(e.problems()).hasSize(1);
        assertThat(e.problems().get(0)).contains("service");
    }

    @Test
    void scoreAboveOneIsRefused() {
        InvalidRequestException e = refusal(seedWith("score", "1.5"));

        assertThat(e.problems()).singleElement().asString().contains("score").contains("1");
    }

    @Test
    void scoreGivenAsAStringIsRefused() {
        InvalidRequestException e = refusal(seedWith("score", "\"high\""));

        assertThat(e.problems()).singleElement().asString().contains("score").contains("string");
    }

    @Test
    void emptyAnomalyIdIsRefused() {
        InvalidRequestException e = refusal(seedWith("anomaly_id", "\"\""));

        assertThat(e.problems()).isNotEmpty().allSatisfy(p -> assertThat(p).contains("anomaly_id"));
    }

    @Test
    void anomalyIdOf201CharactersIsRefusedAnd200IsAccepted() {
        InvalidRequestException e = refusal(seedWith("anomaly_id", "\"" + "a".repeat(201) + "\""));

        assertThat(e.problems()).singleElement().asString().contains("anomaly_id").contains("200");
        assertThat(parser.parse(seedWith("anomaly_id", "\"" + "a".repeat(200) + "\"")).anomalyId()).hasSize(200);
    }

    @Test
    void aMetricOf2000CharactersIsCutNotRefused() {
        Anomaly a = parser.parse(seedWith("metric", "\"" + "m".repeat(2000) + "\""));

        assertThat(a.metric()).hasSize(200).endsWith("…");
        assertThat(a.cuts()).containsExactly("metric: 2,000 characters cut to 200");
    }

    @Test
    void aBlastRadiusOf6000ServicesIsCutNotRefused() {
        String services = java.util.stream.IntStream.range(0, 6000).mapToObj(i -> "\"svc-" + i + "\"")
                .collect(java.util.stream.Collectors.joining(",", "[", "]"));

        Anomaly a = parser.parse(seedWith("blast_radius", services));

        assertThat(a.blastRadius()).hasSize(1001).endsWith("… and 5,000 more");
        assertThat(a.cuts()).containsExactly("blast_radius: 6,000 items, the first 1,000 kept");
    }

    @Test
    void aServiceOf201CharactersIsStillRefusedItIsTheAnomalysIdentity() {
        InvalidRequestException e = refusal(seedWith("service", "\"" + "s".repeat(201) + "\""));

        assertThat(e.problems()).singleElement().asString().contains("service").contains("200");
    }

    @Test
    void blastRadiusThatIsNotAnArrayIsRefused() {
        InvalidRequestException e = refusal(seedWith("blast_radius", "\"user-service\""));

        assertThat(e.problems()).singleElement().asString().contains("blast_radius").contains("array");
    }

    @Test
    void infrasageUrlThatIsNotHttpIsRefused() {
        InvalidRequestException e = refusal(seedWith("infrasage_url", "\"ftp://x\""));

        assertThat(e.problems()).singleElement().asString().contains("infrasage_url");
    }

    @Test
    void detectedAtThatIsNotADateTimeIsRefused() {
        InvalidRequestException e = refusal(seedWith("detected_at", "\"yesterday\""));

        assertThat(e.problems()).singleElement().asString().contains("detected_at");
    }

    @Test
    void detectedAtWithASpaceInsteadOfTIsReadLikeTheSchemaAcceptsIt() {
        // RFC 3339 (the schema's date-time) allows a space separator; this used to escape as a 500
        Anomaly a = parser.parse(seedWith("detected_at", "\"2025-01-15 10:30:00Z\""));

        assertThat(a.detectedAt()).isEqualTo(Instant.parse("2025-01-15T10:30:00Z"));
    }

    @Test
    void leapSecondDetectedAtIsReadAsTheNextSecond() {
        // RFC 3339 allows second 60 and the schema accepts it; java.time alone would have thrown (a 500)
        Anomaly a = parser.parse(seedWith("detected_at", "\"2016-12-31T23:59:60Z\""));

        assertThat(a.detectedAt()).isEqualTo(Instant.parse("2017-01-01T00:00:00Z"));
    }

    @Test
    void lowerCaseSeparatorAndZoneAreAccepted() {
        assertThat(parser.parse(seedWith("detected_at", "\"2025-01-15t10:30:00.250z\"")).detectedAt())
                .isEqualTo(Instant.parse("2025-01-15T10:30:00.250Z"));
    }

    @Test
    void aDateTimeThatCannotBeReadIsA400NotAnotherException() {
        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class,
                () -> AnomalyParser.instant("2025-13-45 99:99:99Q"));

        assertThat(e).isNotNull();
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.problems()).singleElement().asString().contains("detected_at");
    }

    @Test
    void notJsonIsRefused() {
        InvalidRequestException e = refusal("not json");

        assertThat(e.problems()).singleElement().asString().startsWith("body is not valid JSON");
    }

    @Test
    void aJsonArrayIsRefusedAsNotAnObject() {
        InvalidRequestException e = refusal("[]");

        assertThat(e.problems()).containsExactly("body must be a JSON object");
    }

    @Test
    void emptyBodiesAreRefusedAsNotAnObject() {
        assertThat(refusal("").problems()).containsExactly("body must be a JSON object");
        assertThat(refusal(new byte[0]).problems()).containsExactly("body must be a JSON object");
        assertThat(refusal(null).problems()).containsExactly("body must be a JSON object");
    }

    @Test
    void everyProblemIsNamedInOneRefusal() {
        String body = seedWith("score", "1.5").replace("\"service\":\"payment-api\",", "");

        InvalidRequestException e = refusal(body);

        assertThat(e.problems()).hasSize(2);
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("service"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("score"));
        assertThat(e.getMessage()).contains("invalid anomaly");
    }

    @Test
    void manyProblemsAtOnceAreAllListed() {
        String body = "{\"anomaly_id\": \"\", \"score\": \"high\", \"blast_radius\": 3, \"infrasage_url\": \"ftp://x\","
                + " \"detected_at\": \"yesterday\"}";

        List<String> problems = refusal(body).problems();

        for (String field : List.of("anomaly_id", "service", "score", "blast_radius", "infrasage_url", "detected_at")) {
            assertThat(problems).as(field).anySatisfy(p -> assertThat(p).contains(field));
        }
    }
}
