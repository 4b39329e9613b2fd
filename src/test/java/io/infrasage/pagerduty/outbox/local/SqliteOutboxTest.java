package io.infrasage.pagerduty.outbox.local;

import java.nio.file.Path;

import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.Outbox;
import io.infrasage.pagerduty.outbox.OutboxContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The outbox's contract on the embedded adapter: a real SQLite file of each test's own. */
class SqliteOutboxTest extends OutboxContract {

    @TempDir
    Path dir;
    LocalStore store;

    @BeforeEach
    void open() {
        store = new LocalStore(dir);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Override
    protected AnomalyRecords records() {
        return store.records();
    }

    @Override
    protected Outbox outbox() {
        return store.outbox();
    }

    @Override
    protected void reopen() {
        store.close();
        store = new LocalStore(dir);
    }
}
