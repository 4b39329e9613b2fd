package io.infrasage.pagerduty.outbox;

import java.util.List;

import io.infrasage.pagerduty.clickhouse.Row;

/**
 * State and audit rows of the outbound flow on their way to ClickHouse: kept durably, written when ClickHouse answers,
 * so paging never waits for it.
 */
public interface RowSpool {

    /** A row waiting for ClickHouse, and its place in the spool. */
    record Spooled(long seq, Row row) {
    }

    /** Rows that belong to no outbox event (a suppressed anomaly), kept durably before this returns. */
    void spool(List<Row> rows);

    /**
     * The oldest rows waiting, at most limit of them, for routes/clickhouse-spool.camel.yaml to write. Empty where the
     * rows travel on their own (Kafka mode: the rows topic).
     */
    List<Spooled> spooled(int limit);

    /** Written to ClickHouse: these rows leave the spool. */
    void unspool(long upToSeqInclusive);

    /** Rows waiting for ClickHouse. */
    long depth();
}
