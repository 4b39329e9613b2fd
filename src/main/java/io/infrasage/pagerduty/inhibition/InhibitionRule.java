package io.infrasage.pagerduty.inhibition;

import java.util.List;
import java.util.Optional;

import io.infrasage.pagerduty.outbox.NewAnomaly;

/**
 * Symptom inhibition's decision, the same in both outbox modes: which root cause, if any, holds a new anomaly back.
 * Each store supplies the candidates it holds, inside the write that accepts the anomaly (see
 * {@link io.infrasage.pagerduty.outbox.AnomalyRecords#acceptAll}); the choice among them is made only here.
 */
public final class InhibitionRule {

    private InhibitionRule() {
    }

    /**
     * A possible root cause as a store holds it: not resolved, paged (not held back itself, or released), its trigger
     * not refused by PagerDuty, accepted within the window, and naming the new anomaly's service in its blast radius.
     */
    public record RootCause(String anomalyId, String service, String severity, long acceptedAtMillis) {
    }

    /**
     * The newest candidate that may hold this symptom back (of two accepted in the same millisecond, the later in the
     * list: stores give candidates in the order they were accepted), or empty when the symptom pages now.
     */
    public static Optional<String> rootCauseOf(NewAnomaly symptom, List<RootCause> candidates) {
        RootCause newest = null;
        for (RootCause r : candidates) {
            if (mayHold(r, symptom) && (newest == null || r.acceptedAtMillis() >= newest.acceptedAtMillis())) {
                newest = r;
            }
        }
        return Optional.ofNullable(newest).map(RootCause::anomalyId);
    }

    /** Whether this root cause may hold the symptom back. */
    static boolean mayHold(RootCause rootCause, NewAnomaly symptom) {
        return !rootCause.anomalyId().equals(symptom.anomalyId());
    }
}
