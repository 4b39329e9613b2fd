package io.infrasage.pagerduty.outbox;

import java.util.List;

import io.infrasage.pagerduty.clickhouse.Row;

/**
 * One new anomaly to accept: the events to queue now and, with symptom inhibition, the events an open root cause may
 * hold back. {@code rootCauseSinceMillis} is null when symptom inhibition is off: nothing is held, and the anomaly is
 * not recorded as a possible root cause (no service, no blast radius).
 */
public record AcceptRequest(NewAnomaly anomaly, Long rootCauseSinceMillis, List<NewEvent> pagedAnyway,
                            List<NewEvent> inhibitable, Inhibition.Rows rows) {

    /** Without symptom inhibition: every event is queued, with these rows. */
    public static AcceptRequest paging(NewAnomaly anomaly, List<NewEvent> events, List<Row> rows) {
        return new AcceptRequest(anomaly, null, events, List.of(), rootCause -> rows);
    }

    public boolean inhibition() {
        return rootCauseSinceMillis != null;
    }
}
