package io.infrasage.pagerduty.anomaly;

import java.time.Instant;
import java.util.List;

/** An anomaly as InfraSage reports it, validated (see schema/anomaly.schema.json). */
public record Anomaly(
        String anomalyId,
        String service,
        String metric,
        Double value,
        String unit,
        double score,
        String rootCause,
        List<String> blastRadius,
        List<String> suggestedActions,
        Double rcaConfidence,
        String environment,
        Instant detectedAt,
        String infrasageUrl,
        String summary) {

    /** PagerDuty's dedup key for this anomaly: one incident per anomaly, however often it is posted. */
    public String dedupKey() {
        return dedupKeyOf(anomalyId);
    }

    public static String dedupKeyOf(String anomalyId) {
        return "infrasage-" + anomalyId;
    }
}
