package io.infrasage.pagerduty.outbox;

import java.util.Optional;

/**
 * What accepting one anomaly came to: accepted (what was queued, and the root cause holding the rest back, if any), or
 * already known (nothing written), with the record found, so a batch of repeats needs no look-up per item.
 */
public record AcceptOutcome(Optional<Inhibition.Acceptance> accepted, Optional<AnomalyRecord> known) {

    public static AcceptOutcome accepted(Inhibition.Acceptance acceptance) {
        return new AcceptOutcome(Optional.of(acceptance), Optional.empty());
    }

    public static AcceptOutcome known(AnomalyRecord record) {
        return new AcceptOutcome(Optional.empty(), Optional.of(record));
    }
}
