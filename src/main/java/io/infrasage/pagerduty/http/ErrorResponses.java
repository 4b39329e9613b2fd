package io.infrasage.pagerduty.http;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.clickhouse.PersistenceUnavailableException;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a failure into an HTTP answer with a JSON body naming the problem. Never a stack trace: an unexpected error
 * is logged with an id, and only that id is answered.
 */
public final class ErrorResponses {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponses.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    public void answer(Exchange exchange) {
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Map<String, Object> body = new LinkedHashMap<>();
        int status;
        if (e instanceof InvalidRequestException ire) {
            status = ire.status();
            body.put("error", ire.error());
            body.put("problems", ire.problems());
        } else if (e instanceof PersistenceUnavailableException unavailable) {
            status = 503;
            body.put("error", "storage unavailable");
            body.put("problems", List.of(unavailable.problem() + "; retry later"));
            // once per request while the store is down: its DependencyState logs the outage itself, once
            LOG.debug("answered 503 on {}: {}", exchange.getFromRouteId(), e.getMessage());
        } else {
            status = 500;
            String id = UUID.randomUUID().toString();
            body.put("error", "internal error");
            body.put("problems", List.of("unexpected failure, logged with id " + id));
            LOG.error("unexpected failure {} on route {}", id, exchange.getFromRouteId(), e);
        }
        JsonRequests.onlyAnswerHeaders(exchange);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        if (status == 503) {
            exchange.getMessage().setHeader("Retry-After", "5");
        }
        exchange.getMessage().setBody(json(body));
    }

    static String json(Map<String, Object> body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            return "{\"error\":\"internal error\"}";
        }
    }
}
