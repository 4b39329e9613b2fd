package io.infrasage.pagerduty.anomaly;

import io.infrasage.pagerduty.http.InvalidRequestException;

/** What the decision steps of routes/anomaly-inbound.camel.yaml made of one anomaly, before it is queued. */
public sealed interface Decision {

    /** Not an anomaly the bundle can page for (invalid, or no team): answered with the refusal, nothing written. */
    record Refused(InvalidRequestException refusal, String anomalyId) implements Decision {
    }

    /** Scored below the lowest band that pages: recorded, not paged. */
    record Suppressed(AnomalyService.Suppression suppression) implements Decision {
    }

    /** Triggers to queue for its teams (or hold back as a symptom). */
    record Paging(AnomalyService.Pending pending) implements Decision {
    }
}
