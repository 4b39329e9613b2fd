package io.infrasage.pagerduty.http;

import java.util.List;
import java.util.Set;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * HTTP hygiene shared by the bundle's endpoints. platform-http copies message headers into the response, so request
 * headers (Authorization, form fields from a client that sent the wrong Content-Type) must not survive to the answer.
 */
public final class JsonRequests {

    /** Headers an answer may carry; everything else from the request is dropped before answering. */
    private static final Set<String> ANSWER_HEADERS = Set.of(Exchange.HTTP_RESPONSE_CODE, Exchange.CONTENT_TYPE, "Retry-After");

    /** Refuses anything that is not sent as JSON with 415, naming the header to send. */
    public void requireJson(Exchange exchange) {
        String type = exchange.getMessage().getHeader(Exchange.CONTENT_TYPE, String.class);
        if (type == null || !type.toLowerCase().startsWith("application/json")) {
            throw new InvalidRequestException(415, "unsupported media type",
                    List.of("send the body as JSON with 'Content-Type: application/json' (got " + (type == null ? "none" : "'" + type + "'") + ")"));
        }
    }

    /** Keeps only the headers of the answer. */
    public static void onlyAnswerHeaders(Exchange exchange) {
        Message m = exchange.getMessage();
        m.getHeaders().keySet().removeIf(h -> !ANSWER_HEADERS.contains(h));
        if (m.getHeader(Exchange.CONTENT_TYPE) == null) {
            m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        }
    }

    public void answerHeaders(Exchange exchange) {
        onlyAnswerHeaders(exchange);
    }
}
