package io.infrasage.pagerduty.outbox.local;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.outbox.DueRoutingKeys;
import io.infrasage.pagerduty.outbox.NewEvent;
import io.infrasage.pagerduty.outbox.Outbox;
import io.infrasage.pagerduty.outbox.OutboxEvent;

/**
 * The outbox table of the local file: events accepted but not yet delivered, so a page survives kill -9 and restart.
 * Events whose commit is not on disk yet are never handed to the dispatcher.
 */
public final class SqliteOutbox implements Outbox {

    private final SqliteFile file;
    private final SqliteRowSpool spool;
    private final DueRoutingKeys keys = new DueRoutingKeys();
    /** Highest outbox seq on disk: events above it are not handed to the dispatcher. */
    private volatile long maxSeqDurable;
    /**
     * Events handed to a sender and not yet completed or rescheduled. They stay heads of their queues, and the
     * dispatcher reads them again with every poll (to know their queues are busy): they are answered from here instead
     * of from their rows, whose bodies would otherwise be read again on every poll.
     */
    private final Map<Long, OutboxEvent> sending = new ConcurrentHashMap<>();

    SqliteOutbox(SqliteFile file, SqliteRowSpool spool) {
        this.file = file;
        this.spool = spool;
        file.define(db -> {
            try (Statement s = db.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, anomaly_id TEXT NOT NULL,"
                        + " dedup_key TEXT NOT NULL, routing_key TEXT NOT NULL, team TEXT NOT NULL, action TEXT NOT NULL,"
                        + " body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,"
                        + " created_at INTEGER NOT NULL, last_error TEXT)");
                // the trace the event's delivery joins (docs/operations.md#tracing)
                SqliteSchemaVersion.addColumnIfMissing(s, "outbox", "traceparent", "TEXT");
                s.execute("CREATE INDEX IF NOT EXISTS outbox_order ON outbox (dedup_key, routing_key, seq)");
                s.execute("CREATE INDEX IF NOT EXISTS outbox_by_routing_key ON outbox (routing_key, seq)");
            }
            return null;
        });
        file.read(db -> {
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT DISTINCT routing_key FROM outbox")) {
                while (rs.next()) {
                    keys.activate(rs.getString(1));
                }
            }
            maxSeqDurable = single(db, "SELECT COALESCE(MAX(seq), 0) FROM outbox").orElse(0L);
            return null;
        });
    }

    /** Queues events inside the caller's write; they become visible to the dispatcher once it is on disk. */
    List<Long> enqueue(Connection db, String anomalyId, String dedupKey, List<NewEvent> events) throws Exception {
        List<Long> seqs = new ArrayList<>();
        long now = System.currentTimeMillis();
        try (PreparedStatement ps = db.prepareStatement("INSERT INTO outbox (anomaly_id, dedup_key, routing_key, team, action, body,"
                + " next_attempt_at, created_at, traceparent) VALUES (?,?,?,?,?,?,?,?,?)", Statement.RETURN_GENERATED_KEYS)) {
            for (NewEvent e : events) {
                ps.setString(1, anomalyId);
                ps.setString(2, dedupKey);
                ps.setString(3, e.routingKey());
                ps.setString(4, e.team());
                ps.setString(5, e.action());
                ps.setString(6, e.body());
                ps.setLong(7, now);
                ps.setLong(8, now);
                ps.setString(9, e.traceparent());
                ps.executeUpdate();
                try (ResultSet generated = ps.getGeneratedKeys()) {
                    generated.next();
                    seqs.add(generated.getLong(1));
                }
                touchedOnCommit(e.routingKey(), seqs.get(seqs.size() - 1));
            }
        }
        return seqs;
    }

    /** Drops the triggers still queued for an anomaly inside the caller's write; returns how many. */
    int dropTriggers(Connection db, String anomalyId) throws Exception {
        try (PreparedStatement ps = db.prepareStatement("DELETE FROM outbox WHERE anomaly_id = ? AND action = 'trigger'")) {
            ps.setString(1, anomalyId);
            int dropped = ps.executeUpdate();
            if (dropped > 0) {
                file.afterCommit(keys::activateAll); // a resolve queued behind them may be a head now
            }
            return dropped;
        }
    }

    /**
     * Once the caller's write is on disk, its events (up to this seq) are visible and the key may have a new due head.
     * The write's own seq, not the highest handed out so far: SQLite hands the seqs of a write that failed out again,
     * and the write that gets them may not be on disk yet.
     */
    private void touchedOnCommit(String routingKey, long seq) {
        file.afterCommit(() -> {
            maxSeqDurable = Math.max(maxSeqDurable, seq);
            keys.activate(routingKey);
        });
    }

    @Override
    public DueRoutingKeys dueKeys() {
        return keys;
    }

    @Override
    public List<OutboxEvent> dueHeads(String routingKey, long nowMillis, int limit) {
        return file.read(db -> {
            List<OutboxEvent> out = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement(
                    "SELECT o.seq, o.anomaly_id, o.dedup_key, o.routing_key, o.team, o.action, o.body, o.attempts, o.created_at,"
                            + " o.traceparent FROM outbox o WHERE o.routing_key = ? AND o.next_attempt_at <= ? AND o.seq <= ? AND o.seq = (SELECT MIN(i.seq)"
                            + " FROM outbox i WHERE i.dedup_key = o.dedup_key AND i.routing_key = o.routing_key) ORDER BY o.seq LIMIT ?")) {
                ps.setString(1, routingKey);
                ps.setLong(2, nowMillis);
                ps.setLong(3, maxSeqDurable);
                ps.setInt(4, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        // a row's columns are only read on demand: an event being sent is taken as it was handed out
                        OutboxEvent inFlight = sending.get(rs.getLong(1));
                        out.add(inFlight != null ? inFlight : new OutboxEvent(rs.getLong(1), rs.getString(2), rs.getString(3),
                                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getInt(8), rs.getLong(9),
                                rs.getString(10)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public void sending(OutboxEvent e) {
        sending.put(e.seq(), e);
    }

    @Override
    public void complete(OutboxEvent e, List<Row> rows) {
        file.write(db -> {
            try (PreparedStatement ps = db.prepareStatement("DELETE FROM outbox WHERE seq = ?")) {
                ps.setLong(1, e.seq());
                ps.executeUpdate();
            }
            sending.remove(e.seq());
            // the next event of the same dedup key, if any, is a head now
            touchedOnCommit(e.routingKey(), e.seq());
            spool.spool(db, rows);
            return null;
        });
    }

    @Override
    public void retryLater(OutboxEvent e, long nextAttemptAtMillis, String error) {
        file.write(db -> {
            try (PreparedStatement ps = db.prepareStatement(
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE seq = ?")) {
                ps.setLong(1, nextAttemptAtMillis);
                ps.setString(2, error);
                ps.setLong(3, e.seq());
                ps.executeUpdate();
            }
            sending.remove(e.seq()); // its row changed: read it again when it is due
            return null;
        });
    }

    @Override
    public long depth() {
        return file.read(db -> single(db, "SELECT COUNT(*) FROM outbox").orElse(0L));
    }

    @Override
    public Optional<Long> oldestQueuedAt() {
        return file.read(db -> single(db, "SELECT MIN(created_at) FROM outbox"));
    }

    @Override
    public Optional<String> unwritable() {
        return file.unwritable();
    }

    static Optional<Long> single(Connection db, String sql) throws Exception {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            long v = rs.next() ? rs.getLong(1) : 0;
            return rs.wasNull() ? Optional.empty() : Optional.of(v);
        }
    }
}
