package io.infrasage.pagerduty.rest;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;

/**
 * Reads from PagerDuty's REST API v2 through the pagerduty-api route (direct:pagerduty-api), which adds the API
 * version; this bean adds the token. Used for full notes, grouped alerts and the verification listing; only when PAGERDUTY_API_TOKEN is set.
 */
public final class PagerDutyApi {

    public static final String ENDPOINT = "direct:pagerduty-api";
    public static final String WRITE_ENDPOINT = "direct:pagerduty-api-write";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ProducerTemplate producer;
    private final Optional<String> token;
    private final Optional<String> from;
    private final RestRateLimit rateLimit = new RestRateLimit();

    /** The token stays in this bean: it is set on each request, never put in a property or a route file. */
    public PagerDutyApi(ProducerTemplate producer, Optional<String> token) {
        this(producer, token, Optional.empty());
    }

    /** @param from the email of the PagerDuty user writes are made as (PagerDuty's From header) */
    public PagerDutyApi(ProducerTemplate producer, Optional<String> token, Optional<String> from) {
        this.producer = producer;
        this.token = token;
        this.from = from;
    }

    /** Writes need both the token and the user they are made as. */
    public boolean canWrite() {
        return token.isPresent() && from.isPresent();
    }

    /** Adds a note to an incident (POST /incidents/{id}/notes), as the PAGERDUTY_API_FROM user. */
    public void addNote(String incidentId, String content) {
        if (!canWrite()) {
            throw new PagerDutyApiException(0, "PAGERDUTY_API_TOKEN and PAGERDUTY_API_FROM are needed to write notes");
        }
        String path = "/incidents/" + encode(incidentId) + "/notes";
        String body = JSON.createObjectNode().set("note", JSON.createObjectNode().put("content", content)).toString();
        Exchange answer = producer.send(WRITE_ENDPOINT, ex -> {
            ex.getIn().setHeader(Exchange.HTTP_PATH, path);
            ex.getIn().setHeader("Authorization", "Token token=" + token.get());
            ex.getIn().setHeader("From", from.get());
            ex.getIn().setBody(body);
        });
        if (answer.getException() != null) {
            throw new PagerDutyApiException(0, "PagerDuty REST API unreachable: " + answer.getException().getMessage());
        }
        int status = Optional.ofNullable(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).orElse(0);
        if (status < 200 || status >= 300) {
            throw new PagerDutyApiException(status, "PagerDuty REST API answered " + status + " for POST " + path);
        }
    }

    /** The token's REST budget as PagerDuty's ratelimit-* headers last described it (shared by every caller). */
    public RestRateLimit rateLimit() {
        return rateLimit;
    }

    /** One page of GET /webhook_subscriptions (v3): a subscription PagerDuty disabled shows active:false. */
    public JsonNode webhookSubscriptions(int limit, int offset) {
        return get("/webhook_subscriptions", Map.of("limit", List.of(Integer.toString(limit)),
                "offset", List.of(Integer.toString(offset))));
    }

    public boolean enabled() {
        return token.isPresent();
    }

    /** Full notes of an incident (webhooks may carry them trimmed). */
    public List<JsonNode> notes(String incidentId) {
        return list(get("/incidents/" + encode(incidentId) + "/notes", Map.of()), "notes");
    }

    /** The alerts of an incident: their alert_key is our dedup key when PagerDuty grouped several into one incident. */
    public List<JsonNode> alerts(String incidentId) {
        return list(get("/incidents/" + encode(incidentId) + "/alerts", Map.of()), "alerts");
    }

    /** One page of GET /incidents. */
    public JsonNode incidents(Map<String, List<String>> query) {
        return get("/incidents", query);
    }

    public JsonNode get(String path, Map<String, List<String>> query) {
        if (token.isEmpty()) {
            throw new PagerDutyApiException(0, "PAGERDUTY_API_TOKEN is not set");
        }
        String queryString = query.entrySet().stream()
                .flatMap(e -> e.getValue().stream().map(v -> encode(e.getKey()) + "=" + encode(v)))
                .collect(Collectors.joining("&"));
        Exchange answer = producer.send(ENDPOINT, ex -> {
            ex.getIn().setHeader(Exchange.HTTP_PATH, path);
            ex.getIn().setHeader(Exchange.HTTP_QUERY, queryString.isEmpty() ? null : queryString);
            ex.getIn().setHeader("Authorization", "Token token=" + token.get());
        });
        if (answer.getException() != null) {
            throw new PagerDutyApiException(0, "PagerDuty REST API unreachable: " + answer.getException().getMessage());
        }
        int status = Optional.ofNullable(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).orElse(0);
        rateLimit.observe(status, answer.getMessage().getHeader("ratelimit-limit", String.class),
                answer.getMessage().getHeader("ratelimit-remaining", String.class),
                answer.getMessage().getHeader("ratelimit-reset", String.class));
        String body = answer.getMessage().getBody(String.class);
        if (status < 200 || status >= 300) {
            throw new PagerDutyApiException(status, "PagerDuty REST API answered " + status + " for " + path);
        }
        try {
            return JSON.readTree(body);
        } catch (Exception e) {
            throw new PagerDutyApiException(status, "PagerDuty REST API answer is not JSON");
        }
    }

    private static List<JsonNode> list(JsonNode answer, String field) {
        List<JsonNode> out = new ArrayList<>();
        JsonNode array = answer.get(field);
        if (array != null && array.isArray()) {
            array.forEach(out::add);
        }
        return out;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A REST call that failed; status 0 when there was no HTTP answer. */
    public static final class PagerDutyApiException extends RuntimeException {
        private final int status;

        public PagerDutyApiException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }
}
