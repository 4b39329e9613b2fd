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
 * version; this bean adds the token. Used for full notes, grouped alerts and the verification listing; only when
 * PAGERDUTY_API_TOKEN is set. Every call takes its place in the token's {@link RestBudget} first, under this view's
 * share (verification's unless {@link #share} says otherwise).
 */
public final class PagerDutyApi {

    public static final String ENDPOINT = "direct:pagerduty-api";
    public static final String WRITE_ENDPOINT = "direct:pagerduty-api-write";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ProducerTemplate producer;
    private final Optional<String> token;
    private final Optional<String> from;
    private final RestBudget budget;
    private final RestBudget.Share share;

    /** The token stays in this bean: it is set on each request, never put in a property or a route file. */
    public PagerDutyApi(ProducerTemplate producer, Optional<String> token, RestBudget budget) {
        this(producer, token, Optional.empty(), budget);
    }

    /** @param from the email of the PagerDuty user writes are made as (PagerDuty's From header) */
    public PagerDutyApi(ProducerTemplate producer, Optional<String> token, Optional<String> from, RestBudget budget) {
        this(producer, token, from, budget, RestBudget.Share.VERIFICATION);
    }

    private PagerDutyApi(ProducerTemplate producer, Optional<String> token, Optional<String> from, RestBudget budget,
                         RestBudget.Share share) {
        this.producer = producer;
        this.token = token;
        this.from = from;
        this.budget = budget;
        this.share = share;
    }

    /** The same API and budget, for calls of another share: the sync, or lookups that can wait. */
    public PagerDutyApi share(RestBudget.Share share) {
        return new PagerDutyApi(producer, token, from, budget, share);
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
        Exchange answer = send(WRITE_ENDPOINT, path, ex -> {
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

    /** The token's REST budget, shared by every caller. */
    public RestBudget budget() {
        return budget;
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
        Exchange answer = send(ENDPOINT, path, ex -> {
            ex.getIn().setHeader(Exchange.HTTP_PATH, path);
            ex.getIn().setHeader(Exchange.HTTP_QUERY, queryString.isEmpty() ? null : queryString);
            ex.getIn().setHeader("Authorization", "Token token=" + token.get());
        });
        if (answer.getException() != null) {
            throw new PagerDutyApiException(0, "PagerDuty REST API unreachable: " + answer.getException().getMessage());
        }
        int status = Optional.ofNullable(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).orElse(0);
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

    /** One request within the budget: refused with {@link OverBudget} when this share has no room now. */
    private Exchange send(String endpoint, String path, org.apache.camel.Processor request) {
        RestBudget.Ticket ticket = budget.take(share).orElseThrow(() -> new OverBudget(share, path));
        try (ticket) {
            Exchange answer = producer.send(endpoint, request);
            if (answer.getException() == null) {
                budget.observe(Optional.ofNullable(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).orElse(0),
                        answer.getMessage().getHeader("ratelimit-limit", String.class),
                        answer.getMessage().getHeader("ratelimit-remaining", String.class),
                        answer.getMessage().getHeader("ratelimit-reset", String.class));
            }
            return answer;
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
    public static class PagerDutyApiException extends RuntimeException {
        private final int status;

        public PagerDutyApiException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** A call not made: its share of the token's budget has no room now (nothing was sent; it can be made later). */
    public static final class OverBudget extends PagerDutyApiException {
        OverBudget(RestBudget.Share share, String path) {
            super(0, "REST budget: no room for a " + share.name().toLowerCase(java.util.Locale.ROOT) + " call now (" + path + ")");
        }
    }
}
