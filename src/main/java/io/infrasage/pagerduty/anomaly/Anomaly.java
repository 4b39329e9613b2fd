package io.infrasage.pagerduty.anomaly;

import java.time.Instant;
import java.util.List;

/**
 * An anomaly as InfraSage reports it, validated (see schema/anomaly.schema.json) and held to the lengths a page carries
 * (see AnomalyFieldLimits): cuts names every field that was cut on the way in, for the page and the answer.
 */
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
        String summary,
        List<String> cuts) {

    public Anomaly {
        cuts = List.copyOf(cuts);
    }

    /** An anomaly nothing was cut from. */
    public Anomaly(String anomalyId, String service, String metric, Double value, String unit, double score, String rootCause,
                   List<String> blastRadius, List<String> suggestedActions, Double rcaConfidence, String environment,
                   Instant detectedAt, String infrasageUrl, String summary) {
        this(anomalyId, service, metric, value, unit, score, rootCause, blastRadius, suggestedActions, rcaConfidence,
                environment, detectedAt, infrasageUrl, summary, List.of());
    }

    /** PagerDuty's dedup key for this anomaly: one incident per anomaly, however often it is posted. */
    public String dedupKey() {
        return dedupKeyOf(anomalyId);
    }

    public static String dedupKeyOf(String anomalyId) {
        return "infrasage-" + anomalyId;
    }
}
