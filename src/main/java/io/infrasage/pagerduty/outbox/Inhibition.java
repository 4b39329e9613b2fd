package io.infrasage.pagerduty.outbox;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.clickhouse.StateRows;

/**
 * Symptom inhibition as the anomaly records keep it: an anomaly accepted while an open, paged root cause names its
 * service in the blast radius has its triggers held (not queued) until that root cause is resolved. Holding and
 * releasing happen inside the records' own writes, so no symptom can miss the resolve of its root cause.
 */
public final class Inhibition {

    public static final String INHIBITED = "inhibited";

    private Inhibition() {
    }

    /** What accepting decided: the sequence numbers queued now, and the root cause holding the rest back, if any. */
    public record Acceptance(List<Long> queued, Optional<String> inhibitedBy) {
    }

    /** The ClickHouse rows of either outcome: built by the caller, chosen by the records inside their atomic write. */
    public interface Rows {
        List<Row> of(Optional<String> inhibitedBy);
    }

    /** The rows written when a held symptom is paged because its root cause was resolved. */
    public static List<Row> released(String symptomId, String rootCauseId, Instant at) {
        String detail = "root cause " + rootCauseId + " was resolved while this anomaly was open: paged now";
        return List.of(
                StateRows.state(symptomId, "released-" + at.toEpochMilli(), StateRows.nextVersion(), at, "queued")
                        .set("detail", detail).build(),
                StateRows.audit(at, "released-" + symptomId, symptomId, "inhibition_released", "infrasage", "InfraSage", "bundle")
                        .set("detail", detail).build());
    }
}
