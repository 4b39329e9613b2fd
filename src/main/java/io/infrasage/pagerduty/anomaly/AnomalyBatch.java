package io.infrasage.pagerduty.anomaly;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.infrasage.pagerduty.http.InvalidRequestException;
import org.apache.camel.Body;
import org.apache.camel.Exchange;

/**
 * The batch form of POST /api/v1/anomalies (a JSON array, or a List given to direct:anomaly): what a batch may be, and
 * how it is answered. Each item takes the same decision steps as a single anomaly; the good ones are accepted in one
 * durable commit, so the 202 for the whole batch means each of them is as safe as a single 202. Answered 207 when any
 * item was refused.
 */
public final class AnomalyBatch {

    /** Exchange property: true when the post was a batch, so the answer is the batch's. */
    public static final String IS_BATCH = "infrasage.batch";

    private final AnomalyParser parser;
    private final int max;

    public AnomalyBatch(AnomalyParser parser, int max) {
        this.parser = parser;
        this.max = max;
    }

    /** The anomalies of the post, one or many, each to be read by the decision steps on its own. */
    public List<?> items(@Body Object body, Exchange exchange) {
        Object read = parser.oneOrMany(body);
        boolean batch = read instanceof List<?>;
        exchange.setProperty(IS_BATCH, batch);
        if (!batch) {
            return List.of(read);
        }
        List<?> items = (List<?>) read;
        if (items.isEmpty()) {
            throw InvalidRequestException.badRequest("invalid batch", List.of("the array is empty: send 1 to " + max + " anomalies"));
        }
        if (items.size() > max) {
            throw new InvalidRequestException(413, "batch too large", List.of(items.size() + " anomalies in one batch, at most "
                    + max + " (INFRASAGE_BATCH_MAX): split it into smaller batches"));
        }
        return items;
    }

    /**
     * A single anomaly's answer as it is (its refusal thrown, for the caller's error handling), or the batch's: one
     * answer per item in the order given, 207 when any was refused.
     */
    public Map<String, Object> answer(@Body List<AnomalyService.Answer> answers, Exchange exchange) {
        if (!exchange.getProperty(IS_BATCH, false, Boolean.class)) {
            AnomalyService.Answer one = answers.get(0);
            if (one.refusal() != null) {
                throw one.refusal();
            }
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, one.status());
            return one.body();
        }
        List<Map<String, Object>> items = new ArrayList<>(answers.size());
        int refused = 0;
        for (int i = 0; i < answers.size(); i++) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("index", i);
            item.put("http_status", answers.get(i).status());
            item.putAll(answers.get(i).body());
            items.add(item);
            if (answers.get(i).status() >= 300) {
                refused++;
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("accepted", answers.size() - refused);
        body.put("refused", refused);
        body.put("items", items);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, refused > 0 ? 207 : 202);
        return body;
    }
}
