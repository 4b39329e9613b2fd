package io.infrasage.pagerduty.anomaly;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.infrasage.pagerduty.http.InvalidRequestException;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * Gathers the decision of each anomaly of a post (the split in routes/anomaly-inbound.camel.yaml) into one list, in the
 * order given, so that they are queued together in one durable commit.
 */
public final class AnomalyDecisions implements AggregationStrategy {

    @Override
    public Exchange aggregate(Exchange gathered, Exchange item) {
        Decision decision = item.getMessage().getBody(Decision.class);
        if (decision == null) {
            // a step an operator added ended the item without a decision (a filter, a stop): nothing to queue for it
            decision = new Decision.Refused(new InvalidRequestException(422, "not queued",
                    List.of("a step of the anomaly-decision route ended this anomaly without a decision")), null);
        }
        if (gathered == null) {
            List<Decision> decisions = new ArrayList<>();
            decisions.add(decision);
            item.getMessage().setBody(decisions);
            return item;
        }
        @SuppressWarnings("unchecked")
        List<Decision> decisions = gathered.getMessage().getBody(List.class);
        decisions.add(decision);
        return gathered;
    }

    /** The doCatch of the decision steps: the refusal, with the anomaly_id of the item when it names one. */
    public Decision refused(Exchange exchange) {
        InvalidRequestException e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, InvalidRequestException.class);
        Object body = exchange.getMessage().getBody();
        String id = body instanceof Anomaly a ? a.anomalyId()
                : body instanceof JsonNode n && n.path("anomaly_id").isTextual() ? n.get("anomaly_id").asText()
                : body instanceof Map<?, ?> m && m.get("anomaly_id") instanceof String s ? s : null;
        return new Decision.Refused(e, id);
    }
}
