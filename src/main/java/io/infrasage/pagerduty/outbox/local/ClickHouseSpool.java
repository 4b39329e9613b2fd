package io.infrasage.pagerduty.outbox.local;

import java.time.Duration;
import java.util.List;

import io.infrasage.pagerduty.clickhouse.ClickHouseWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the state and audit rows of the outbound flow from the local file's spool to ClickHouse. Paging never waits for
 * this: while ClickHouse is down the rows wait on disk, and they appear once it is back.
 */
public final class ClickHouseSpool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseSpool.class);
    private static final int BATCH = 2_000;
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    private final SqliteRowSpool store;
    private final ClickHouseWriter writer;
    private final Object signal = new Object();
    private volatile boolean running;
    private boolean woken;
    private Thread thread;

    public ClickHouseSpool(SqliteRowSpool store, ClickHouseWriter writer) {
        this.store = store;
        this.writer = writer;
        store.onAdded(this::wake);
    }

    public void start() {
        running = true;
        thread = new Thread(this::loop, "clickhouse-spool");
        thread.setDaemon(true);
        thread.start();
    }

    public void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    private void loop() {
        long backoff = 500;
        while (running) {
            long sleep = 1000;
            try {
                List<SqliteRowSpool.SpooledRow> rows = store.spooled(BATCH);
                if (!rows.isEmpty()) {
                    writer.write(rows.stream().map(SqliteRowSpool.SpooledRow::row).toList(), Duration.ofSeconds(30));
                    store.unspool(rows.get(rows.size() - 1).seq());
                    backoff = 500;
                    sleep = rows.size() == BATCH ? 0 : 50;
                }
            } catch (RuntimeException e) {
                // the writer logs ClickHouse going down and coming back once; each retry only at debug
                LOG.debug("state rows wait in the local spool ({} queued): {}", safeDepth(), e.getMessage());
                sleep = backoff;
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
            synchronized (signal) {
                if (!woken && sleep > 0) {
                    try {
                        signal.wait(sleep);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                woken = false;
            }
        }
    }

    private long safeDepth() {
        try {
            return store.depth();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
