package io.infrasage.pagerduty.outbox.local;

import java.nio.file.Path;

import io.infrasage.pagerduty.DependencyState;

/**
 * The embedded adapter (INFRASAGE_QUEUE=local, the default): one SQLite file per instance holding the anomaly records,
 * the outbox and the ClickHouse spool, so each accept, delivery or resolve is one atomic write across the three.
 */
public final class LocalStore implements AutoCloseable {

    private final SqliteFile file;
    private final SqliteRowSpool spool;
    private final SqliteOutbox outbox;
    private final SqliteAnomalyRecords records;

    public LocalStore(Path dataDir) {
        file = new SqliteFile(dataDir);
        SqliteSchemaVersion version = new SqliteSchemaVersion(file, dataDir);
        spool = new SqliteRowSpool(file);
        outbox = new SqliteOutbox(file, spool);
        records = new SqliteAnomalyRecords(file, outbox, spool);
        version.record();
    }

    public SqliteAnomalyRecords records() {
        return records;
    }

    public SqliteOutbox outbox() {
        return outbox;
    }

    public SqliteRowSpool spool() {
        return spool;
    }

    /** Whether the file's disk takes writes: infrasage_dependency_up{dependency="outbox disk"}. */
    public DependencyState diskState() {
        return file.diskState();
    }

    /** Durable commits (fsyncs) of the file since it was opened. */
    public long commits() {
        return file.commits();
    }

    /** Rows inserted, updated or deleted in the file since it was opened: with commits(), the outbox's write cost. */
    public long rowsChanged() {
        return file.rowsChanged();
    }

    @Override
    public void close() {
        file.close();
    }
}
