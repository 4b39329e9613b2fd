package io.infrasage.pagerduty.inhibition;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import io.infrasage.pagerduty.anomaly.SeverityPolicy;
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

    /** Whether holding this symptom behind this root cause can never keep a page from someone it should wake. */
    static boolean mayHold(RootCause rootCause, NewAnomaly symptom) {
        return !rootCause.anomalyId().equals(symptom.anomalyId())
                // a later anomaly of the root cause's own service may have another cause: it pages its team
                && !Objects.equals(rootCause.service(), symptom.service())
                // a worse page is never silenced (Alertmanager's "source at least as severe as target" guard)
                && rank(symptom.severity()) <= rank(rootCause.severity());
    }

    /** PagerDuty's severities lowest first; an unknown one ranks lowest, so a root cause of unknown severity holds no known one. */
    private static int rank(String severity) {
        return severity == null ? -1 : SeverityPolicy.SEVERITIES.indexOf(severity);
    }
}
