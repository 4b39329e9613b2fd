package io.infrasage.pagerduty.outbox;

import java.time.Duration;
import java.util.List;

import io.infrasage.pagerduty.clickhouse.ClickHouseWriter;
import io.infrasage.pagerduty.clickhouse.StateRowMerge;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the state and audit rows of the outbound flow from the local file's spool to ClickHouse, each time the
 * clickhouse-spool route's timer fires. Paging never waits for this: while ClickHouse is down the rows wait on disk, and
 * they appear once it is back. Rows that gather between two ticks go in one INSERT, a page's 'queued' and 'sent' rows
 * folded into one when both are there (StateRowMerge).
 */
public final class ClickHouseSpool {

    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseSpool.class);
    private static final int BATCH = 2_000;

    private final RowSpool store;
    private final ClickHouseWriter writer;

    public ClickHouseSpool(RowSpool store, ClickHouseWriter writer) {
        this.store = store;
        this.writer = writer;
    }

    /**
     * Writes what the spool holds, a batch at a time. A failure waits for the next tick: a refused connection costs
     * nothing, and rows spooled meanwhile must not wait out a backoff once ClickHouse answers again.
     */
    public synchronized void drain() {
        try {
            List<RowSpool.Spooled> rows;
            do {
                rows = store.spooled(BATCH);
                if (!rows.isEmpty()) {
                    writer.write(StateRowMerge.merged(rows.stream().map(RowSpool.Spooled::row).toList()), Duration.ofSeconds(30));
                    store.unspool(rows.get(rows.size() - 1).seq());
                }
            } while (rows.size() == BATCH);
        } catch (RuntimeException e) {
            // the writer logs ClickHouse going down and coming back once; each retry only at debug
            LOG.debug("state rows wait in the local spool ({} queued): {}", safeDepth(), e.getMessage());
        }
    }

    private long safeDepth() {
        try {
            return store.depth();
        } catch (RuntimeException e) {
            return -1;
        }
    }
}
