package io.infrasage.pagerduty.http;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads a request body as exactly one JSON document, refusing what different readers could take differently: a key
 * given twice ({"score":0.1,"score":0.9} would page critical where another reader sees 0.1) and anything after the
 * document. The problem is named in the bundle's own words with its position, never in the parser's (which quotes
 * its own class names).
 */
public final class StrictJson {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private StrictJson() {
    }

    /** @throws InvalidRequestException 400 with {@code error} and the problem; null for an empty body */
    public static JsonNode read(byte[] body, String error) {
        try {
            return body == null || body.length == 0 ? null : JSON.readTree(body);
        } catch (IOException e) {
            throw refused(e, error);
        }
    }

    public static JsonNode read(String body, String error) {
        try {
            return body == null || body.isBlank() ? null : JSON.readTree(body);
        } catch (IOException e) {
            throw refused(e, error);
        }
    }

    public static JsonNode read(InputStream body, String error) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw refused(e, error);
        }
    }

    static InvalidRequestException refused(IOException e, String error) {
        return InvalidRequestException.badRequest(error, List.of(problem(e)));
    }

    /** What is wrong, and where: the parser's message is not passed on. */
    static String problem(IOException e) {
        String original = e instanceof JsonProcessingException jpe ? String.valueOf(jpe.getOriginalMessage()) : "";
        JsonLocation at = e instanceof JsonProcessingException jpe ? jpe.getLocation() : null;
        String where = at == null || at.getLineNr() < 0 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        if (original.startsWith("Duplicate field '")) {
            String key = original.substring("Duplicate field '".length(), original.indexOf('\'', "Duplicate field '".length()));
            return "body has the key '" + key + "' twice in one object" + where + "; send each key once";
        }
        if (original.startsWith("Trailing token")) {
            return "body has more after the JSON document" + where + "; send exactly one JSON value";
        }
        if (original.contains("end-of-input") || original.contains("No content")) {
            return "body ends before the JSON document does" + where;
        }
        return "body is not valid JSON" + where;
    }
}
