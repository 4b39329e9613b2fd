package io.infrasage.pagerduty.outbox;

import java.util.List;

import io.infrasage.pagerduty.clickhouse.Row;

/**
 * State and audit rows of the outbound flow on their way to ClickHouse: kept durably, written when ClickHouse answers,
 * so paging never waits for it.
 */
public interface RowSpool {

    /** Rows that belong to no outbox event (a suppressed anomaly), kept durably before this returns. */
    void spool(List<Row> rows);

    /** Rows were spooled (alone, or with an accept or a delivery): the writer may look now. */
    void rowsAdded();

    /** Rows waiting for ClickHouse. */
    long depth();
}
