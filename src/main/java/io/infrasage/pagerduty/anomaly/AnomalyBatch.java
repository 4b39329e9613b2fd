package io.infrasage.pagerduty.anomaly;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.infrasage.pagerduty.http.InvalidRequestException;
import org.apache.camel.Exchange;

/**
 * A batch of anomalies (a JSON array, or a List given to direct:anomaly): each item is validated, given its severity and
 * teams, and answered exactly as the single POST would answer it, in the order given; a bad item never makes the good
 * ones fail. The good ones are accepted in one durable write of the records (one commit, not one per anomaly), so the
 * 202 for the whole batch means each of them is as safe as a single 202. Answered 207 when any item was refused.
 */
public final class AnomalyBatch {

    /** Batches larger than this are refused whole (413): the answer and the one commit grow with the batch. */
    public static final int DEFAULT_MAX = 1000;

    private final AnomalyParser parser;
    private final SeverityPolicy severityPolicy;
    private final RoutingRules routingRules;
    private final PageNotRouted pageNotRouted;
    private final AnomalyService service;
    private final int max;

    public AnomalyBatch(AnomalyParser parser, SeverityPolicy severityPolicy, RoutingRules routingRules, PageNotRouted pageNotRouted,
                        AnomalyService service, int max) {
        this.parser = parser;
        this.severityPolicy = severityPolicy;
        this.routingRules = routingRules;
        this.pageNotRouted = pageNotRouted;
        this.service = service;
        this.max = max;
    }

    /** The body is the list of items (see {@link AnomalyParser#oneOrMany}); answers the batch's body and status. */
    public Map<String, Object> accept(Exchange exchange) {
        List<?> items = exchange.getMessage().getBody(List.class);
        if (items.isEmpty()) {
            throw InvalidRequestException.badRequest("invalid batch", List.of("the array is empty: send 1 to " + max + " anomalies"));
        }
        if (items.size() > max) {
            throw new InvalidRequestException(413, "batch too large", List.of(items.size() + " anomalies in one batch, at most "
                    + max + " (INFRASAGE_BATCH_MAX): split it into smaller batches"));
        }
        AnomalyService.Answer[] answers = new AnomalyService.Answer[items.size()];
        List<AnomalyService.Pending> pending = new ArrayList<>();
        List<Integer> pendingAt = new ArrayList<>();
        List<AnomalyService.Suppression> suppressed = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Object item = items.get(i);
            Anomaly a;
            try {
                a = parser.parse(item);
            } catch (InvalidRequestException e) {
                answers[i] = refused(e, anomalyIdIn(item));
                continue;
            }
            String severity = severityPolicy.severityFor(a.score());
            if (severity == null) {
                AnomalyService.Suppression s = service.suppression(a);
                suppressed.add(s);
                answers[i] = s.answer();
                continue;
            }
            List<RoutingTarget> targets = routingRules.targetsFor(a.service());
            if (targets.isEmpty()) {
                try {
                    pageNotRouted.refuse(a);
                } catch (InvalidRequestException e) {
                    answers[i] = refused(e, a.anomalyId());
                }
                continue;
            }
            pending.add(service.pending(a, severity, targets));
            pendingAt.add(i);
        }
        List<AnomalyService.Answer> accepted = service.acceptAll(pending, suppressed);
        for (int n = 0; n < accepted.size(); n++) {
            answers[pendingAt.get(n)] = accepted.get(n);
        }
        return answer(answers, exchange);
    }

    private static Map<String, Object> answer(AnomalyService.Answer[] answers, Exchange exchange) {
        List<Map<String, Object>> items = new ArrayList<>(answers.length);
        int refused = 0;
        for (int i = 0; i < answers.length; i++) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("index", i);
            item.put("http_status", answers[i].status());
            item.putAll(answers[i].body());
            items.add(item);
            if (answers[i].status() >= 300) {
                refused++;
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("accepted", answers.length - refused);
        body.put("refused", refused);
        body.put("items", items);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, refused > 0 ? 207 : 202);
        return body;
    }

    /** The single POST's error answer for this item: {"error", "problems"}, with the anomaly_id when there is one. */
    private static AnomalyService.Answer refused(InvalidRequestException e, String anomalyId) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (anomalyId != null) {
            body.put("anomaly_id", anomalyId);
        }
        body.put("error", e.error());
        body.put("problems", e.problems());
        return new AnomalyService.Answer(e.status(), body);
    }

    /** The anomaly_id of an item that could not be read as an anomaly, if it names one as text. */
    private static String anomalyIdIn(Object item) {
        Object id = item instanceof JsonNode n ? (n.path("anomaly_id").isTextual() ? n.get("anomaly_id").asText() : null)
                : item instanceof Map<?, ?> m ? m.get("anomaly_id") : null;
        return id instanceof String s ? s : null;
    }
}
