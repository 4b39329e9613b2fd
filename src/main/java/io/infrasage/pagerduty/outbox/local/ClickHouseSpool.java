package io.infrasage.pagerduty.outbox.local;

import java.time.Duration;
import java.util.List;

import io.infrasage.pagerduty.clickhouse.ClickHouseWriter;
import io.infrasage.pagerduty.clickhouse.StateRowMerge;
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
    private static final long IDLE_MILLIS = 1000;
    /**
     * How long rows gather before they are read: a page delivered within it has its 'queued' and 'sent' rows go to
     * ClickHouse as one (StateRowMerge), and a storm's rows go in a few large INSERTs instead of one small one per
     * commit of the local file. Paging never waits for this; only the state in ClickHouse lags by it.
     */
    static final long LINGER_MILLIS = 250;

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
            int written = -1;
            long retryIn = 0;
            try {
                List<SqliteRowSpool.SpooledRow> rows = store.spooled(BATCH);
                if (!rows.isEmpty()) {
                    writer.write(StateRowMerge.merged(rows.stream().map(SqliteRowSpool.SpooledRow::row).toList()), Duration.ofSeconds(30));
                    store.unspool(rows.get(rows.size() - 1).seq());
                    backoff = 500;
                }
                written = rows.size();
            } catch (RuntimeException e) {
                // the writer logs ClickHouse going down and coming back once; each retry only at debug
                LOG.debug("state rows wait in the local spool ({} queued): {}", safeDepth(), e.getMessage());
                retryIn = backoff;
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
            try {
                if (written == BATCH) {
                    awaitWake(0); // more rows are waiting: read on at once
                } else if (written > 0) {
                    Thread.sleep(LINGER_MILLIS);
                } else if (awaitWake(retryIn > 0 ? retryIn : IDLE_MILLIS)) {
                    Thread.sleep(LINGER_MILLIS);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Waits until rows are added or the time is up; true when woken by rows. */
    private boolean awaitWake(long millis) throws InterruptedException {
        synchronized (signal) {
            if (!woken && millis > 0) {
                signal.wait(millis);
            }
            boolean wasWoken = woken;
            woken = false;
            return wasWoken;
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
