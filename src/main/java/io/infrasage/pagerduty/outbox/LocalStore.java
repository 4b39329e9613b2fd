package io.infrasage.pagerduty.outbox;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.clickhouse.Row;

/**
 * The bundle's durable local state, one SQLite file per instance (data/bundle.db):
 * <ul>
 *   <li>outbox: Events API events accepted but not yet delivered, so a page survives kill -9 and restart;</li>
 *   <li>anomalies: what was paged for each anomaly and to which routing keys, so a repeat is recognised and a resolve
 *       reaches exactly the keys the trigger reached;</li>
 *   <li>clickhouse_spool: state and audit rows waiting for ClickHouse, so paging never waits for it.</li>
 * </ul>
 * Each accept, delivery or resolve is atomic across the three. WAL with synchronous=FULL: a commit is on disk, and no
 * write method returns before its commit is. Writes that arrive while a commit is being synced to disk go to disk
 * together in the next one (group commit): one fsync for many accepts and deliveries, instead of one each, which
 * is what bounded throughput (an fsync takes milliseconds). Each write is a savepoint in the shared transaction, so a
 * failing one is undone alone; the dispatcher only ever sees events whose commit is on disk.
 */
public final class LocalStore implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<Map<String, String>>> TARGETS = new TypeReference<>() { };
    private static final TypeReference<Map<String, Object>> ROW = new TypeReference<>() { };

    private final Connection db;
    /** Serialises commits; taken before the store's monitor, never inside it. */
    private final Object commitLock = new Object();
    /** Writers waiting to enter the store's monitor: a commit waits (briefly) for them to join it. */
    private final AtomicInteger entering = new AtomicInteger();
    /** Writes made since the last commit (guarded by this). */
    private Batch open = new Batch();
    /** Highest outbox seq written, and highest on disk: events above the latter are not handed to the dispatcher. */
    private long maxSeqWritten;
    private long maxSeqDurable;
    /**
     * The routing keys events were queued for since this store was opened (and those still queued from before), for
     * {@link #activateAll}. Kept in memory, never shrinks; routing keys are few.
     */
    private final Set<String> routingKeys = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Long> active = new ConcurrentHashMap<>();

    /** The writes of one transaction: their callers learn together whether it reached the disk. */
    private static final class Batch {
        final CompletableFuture<Void> durable = new CompletableFuture<>();
        boolean writes;
        /** Routing keys that may have a new due head once this batch is on disk (an event queued, or a head gone). */
        final Set<String> touchedKeys = new HashSet<>();
    }

    public LocalStore(Path dataDir) {
        try {
            db = DriverManager.getConnection("jdbc:sqlite:" + PrivateDataFolder.prepare(dataDir, "bundle.db").toAbsolutePath());
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, anomaly_id TEXT NOT NULL,"
                        + " dedup_key TEXT NOT NULL, routing_key TEXT NOT NULL, team TEXT NOT NULL, action TEXT NOT NULL,"
                        + " body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,"
                        + " created_at INTEGER NOT NULL, last_error TEXT)");
                s.execute("CREATE INDEX IF NOT EXISTS outbox_order ON outbox (dedup_key, routing_key, seq)");
                s.execute("CREATE INDEX IF NOT EXISTS outbox_by_routing_key ON outbox (routing_key, seq)");
                s.execute("CREATE TABLE IF NOT EXISTS anomalies (anomaly_id TEXT PRIMARY KEY, dedup_key TEXT NOT NULL,"
                        + " targets TEXT NOT NULL, severity TEXT, status TEXT NOT NULL, created_at INTEGER NOT NULL,"
                        + " resolved_at INTEGER, resolved_by TEXT)");
                s.execute("CREATE TABLE IF NOT EXISTS clickhouse_spool (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                        + " table_name TEXT NOT NULL, row_json TEXT NOT NULL)");
                addColumnIfMissing(s, "anomalies", "resolved_by_kind", "TEXT");
            }
            db.setAutoCommit(false);
            db.commit();
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT DISTINCT routing_key FROM outbox")) {
                while (rs.next()) {
                    routingKeys.add(rs.getString(1));
                }
            }
            maxSeqWritten = single("SELECT COALESCE(MAX(seq), 0) FROM outbox").orElse(0L);
            maxSeqDurable = maxSeqWritten;
        } catch (Exception e) {
            throw new IllegalStateException("cannot open the local outbox in " + dataDir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /** A column added after the first release: files written by an older bundle get it on open. */
    private static void addColumnIfMissing(Statement s, String table, String column, String type) throws SQLException {
        try (ResultSet rs = s.executeQuery("PRAGMA table_info(" + table + ")")) {
            while (rs.next()) {
                if (rs.getString("name").equals(column)) {
                    return;
                }
            }
        }
        s.execute("ALTER TABLE " + table + " ADD COLUMN " + column + " " + type);
    }

    /**
     * What the bundle already knows of an anomaly. resolvedByKind says who resolvedBy is: "runbook" (our own resolve,
     * sent through this bundle), "engineer", "merged" or "pagerduty"; null while unresolved.
     */
    public record AnomalyRecord(String anomalyId, String dedupKey, List<RoutingTarget> targets, String severity,
                                String status, Long resolvedAt, String resolvedBy, String resolvedByKind) {
        public boolean resolved() {
            return resolvedAt != null;
        }

        /** The runbook whose resolve this bundle sent, if that is how the anomaly was resolved. */
        public Optional<String> runbook() {
            return "runbook".equals(resolvedByKind) ? Optional.ofNullable(resolvedBy) : Optional.empty();
        }
    }

    /** An event to enqueue, in order. */
    public record NewEvent(String routingKey, String team, String action, String body) {
    }

    public synchronized Optional<AnomalyRecord> find(String anomalyId) {
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT anomaly_id, dedup_key, targets, severity, status, resolved_at, resolved_by, resolved_by_kind"
                        + " FROM anomalies WHERE anomaly_id = ?")) {
            ps.setString(1, anomalyId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                List<RoutingTarget> targets = JSON.readValue(rs.getString(3), TARGETS).stream()
                        .map(m -> new RoutingTarget(m.get("team"), m.get("routing_key"))).toList();
                long resolvedAtMillis = rs.getLong(6);
                Long resolvedAt = rs.wasNull() ? null : resolvedAtMillis;
                return Optional.of(new AnomalyRecord(rs.getString(1), rs.getString(2), targets, rs.getString(4), rs.getString(5),
                        resolvedAt, rs.getString(7), rs.getString(8)));
            }
        } catch (Exception e) {
            throw new IllegalStateException("local store read failed: " + e.getMessage(), e);
        }
    }

    /**
     * Records a new anomaly with its events and ClickHouse rows in one transaction.
     *
     * @return the sequence numbers of the queued events, or empty when the anomaly was already known (nothing written)
     */
    public Optional<List<Long>> accept(String anomalyId, String dedupKey, List<RoutingTarget> targets, String severity,
                                                    String status, List<NewEvent> events, List<Row> rows) {
        return inTransaction(() -> {
            try (PreparedStatement ps = db.prepareStatement(
                    "INSERT OR IGNORE INTO anomalies (anomaly_id, dedup_key, targets, severity, status, created_at) VALUES (?,?,?,?,?,?)")) {
                ps.setString(1, anomalyId);
                ps.setString(2, dedupKey);
                ps.setString(3, JSON.writeValueAsString(targets.stream()
                        .map(t -> Map.of("team", t.team(), "routing_key", t.routingKey())).toList()));
                ps.setString(4, severity);
                ps.setString(5, status);
                ps.setLong(6, System.currentTimeMillis());
                if (ps.executeUpdate() == 0) {
                    return Optional.<List<Long>>empty();
                }
            }
            List<Long> seqs = enqueue(anomalyId, dedupKey, events);
            spool(rows);
            return Optional.of(seqs);
        });
    }

    /**
     * Marks an anomaly resolved by a runbook and queues its resolve events, once.
     *
     * @return the queued sequence numbers, or empty when it was already resolved
     */
    public Optional<List<Long>> resolve(String anomalyId, String resolvedBy, List<NewEvent> events, List<Row> rows) {
        return inTransaction(() -> {
            try (PreparedStatement ps = db.prepareStatement(
                    "UPDATE anomalies SET status = 'resolved', resolved_at = ?, resolved_by = ?, resolved_by_kind = 'runbook'"
                            + " WHERE anomaly_id = ? AND resolved_at IS NULL")) {
                ps.setLong(1, System.currentTimeMillis());
                ps.setString(2, resolvedBy);
                ps.setString(3, anomalyId);
                if (ps.executeUpdate() == 0) {
                    return Optional.<List<Long>>empty();
                }
            }
            List<Long> seqs = enqueue(anomalyId, dedupKeyOf(anomalyId), events);
            spool(rows);
            return Optional.of(seqs);
        });
    }

    /**
     * PagerDuty says the incident is resolved (an engineer, or our own resolve coming back): remember it, and drop
     * triggers still queued for it, since a trigger sent after a resolve would open a new incident and page again.
     *
     * @return how many queued triggers were dropped
     */
    public int resolvedInPagerDuty(String anomalyId, String resolvedBy, String resolvedByKind) {
        return inTransaction(() -> {
            // the first resolution is kept: our own runbook resolve coming back must not be renamed by PagerDuty's echo
            try (PreparedStatement ps = db.prepareStatement(
                    "UPDATE anomalies SET status = 'resolved', resolved_at = COALESCE(resolved_at, ?),"
                            + " resolved_by = COALESCE(resolved_by, ?), resolved_by_kind = COALESCE(resolved_by_kind, ?)"
                            + " WHERE anomaly_id = ? AND resolved_at IS NULL")) {
                ps.setLong(1, System.currentTimeMillis());
                ps.setString(2, resolvedBy);
                ps.setString(3, resolvedByKind);
                ps.setString(4, anomalyId);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = db.prepareStatement("DELETE FROM outbox WHERE anomaly_id = ? AND action = 'trigger'")) {
                ps.setString(1, anomalyId);
                int dropped = ps.executeUpdate();
                if (dropped > 0) {
                    open.touchedKeys.addAll(routingKeys); // a resolve queued behind them may be a head now
                }
                return dropped;
            }
        });
    }

    /**
     * The routing keys that may have due events, each with a version: {@link #drained} with that version takes a key
     * out only if nothing touched it since, so an event queued while a poll ran is never overlooked. A key becomes
     * active when its events are durably queued or a head of its queues is gone, and through {@link #activateAll}.
     */
    public Map<String, Long> activeRoutingKeys() {
        return Map.copyOf(active);
    }

    /** Every known key may have due events: at start, and for events whose retry time has come. */
    public void activateAll() {
        routingKeys.forEach(this::activate);
    }

    public void activate(String routingKey) {
        active.merge(routingKey, 1L, Long::sum);
    }

    /** A poll found no more due events for the key than it asked for: leave it alone until something touches it. */
    public void drained(String routingKey, long version) {
        active.remove(routingKey, version);
    }

    /**
     * The heads of the (dedup key, routing key) queues of one routing key that are due, oldest first: order is kept per
     * dedup key, and one routing key's backlog (held back by its rate limit) never hides another key's events.
     */
    public synchronized List<OutboxEvent> dueHeads(String routingKey, long nowMillis, int limit) {
        List<OutboxEvent> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT o.seq, o.anomaly_id, o.dedup_key, o.routing_key, o.team, o.action, o.body, o.attempts, o.created_at"
                        + " FROM outbox o WHERE o.routing_key = ? AND o.next_attempt_at <= ? AND o.seq <= ? AND o.seq = (SELECT MIN(i.seq)"
                        + " FROM outbox i WHERE i.dedup_key = o.dedup_key AND i.routing_key = o.routing_key) ORDER BY o.seq LIMIT ?")) {
            ps.setString(1, routingKey);
            ps.setLong(2, nowMillis);
            ps.setLong(3, maxSeqDurable);
            ps.setInt(4, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new OutboxEvent(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), rs.getString(7), rs.getInt(8), rs.getLong(9)));
                }
            }
            endRead();
        } catch (SQLException e) {
            throw new IllegalStateException("outbox read failed: " + e.getMessage(), e);
        }
        return out;
    }

    public synchronized Optional<Long> oldestQueuedAt() {
        return single("SELECT MIN(created_at) FROM outbox");
    }

    public synchronized long depth() {
        return single("SELECT COUNT(*) FROM outbox").orElse(0L);
    }

    /** Delivered or refused for good: the event leaves the outbox; the anomaly's status and ClickHouse rows follow. */
    public void complete(OutboxEvent e, String anomalyStatus, List<Row> rows) {
        inTransaction(() -> {
            try (PreparedStatement ps = db.prepareStatement("DELETE FROM outbox WHERE seq = ?")) {
                ps.setLong(1, e.seq());
                ps.executeUpdate();
            }
            // the next event of the same dedup key, if any, is a head now
            open.touchedKeys.add(e.routingKey());
            if (anomalyStatus != null) {
                try (PreparedStatement ps = db.prepareStatement(
                        "UPDATE anomalies SET status = ? WHERE anomaly_id = ? AND status <> 'resolved'")) {
                    ps.setString(1, anomalyStatus);
                    ps.setString(2, e.anomalyId());
                    ps.executeUpdate();
                }
            }
            spool(rows);
            return null;
        });
    }

    public void retryLater(OutboxEvent e, long nextAttemptAtMillis, String error) {
        inTransaction(() -> {
            try (PreparedStatement ps = db.prepareStatement(
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE seq = ?")) {
                ps.setLong(1, nextAttemptAtMillis);
                ps.setString(2, error);
                ps.setLong(3, e.seq());
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Rows for ClickHouse that belong to no outbox event (a suppressed anomaly). */
    public void spoolRows(List<Row> rows) {
        inTransaction(() -> {
            spool(rows);
            return null;
        });
    }

    /** Rows spooled for ClickHouse, oldest first. */
    public synchronized List<SpooledRow> spooled(int limit) {
        List<SpooledRow> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement("SELECT seq, table_name, row_json FROM clickhouse_spool ORDER BY seq LIMIT ?")) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new SpooledRow(rs.getLong(1), new Row(rs.getString(2), JSON.readValue(rs.getString(3), ROW))));
                }
            }
            endRead();
        } catch (Exception e) {
            throw new IllegalStateException("spool read failed: " + e.getMessage(), e);
        }
        return out;
    }

    public void unspool(long upToSeqInclusive) {
        inTransaction(() -> {
            try (PreparedStatement ps = db.prepareStatement("DELETE FROM clickhouse_spool WHERE seq <= ?")) {
                ps.setLong(1, upToSeqInclusive);
                ps.executeUpdate();
            }
            return null;
        });
    }

    public synchronized long spoolDepth() {
        return single("SELECT COUNT(*) FROM clickhouse_spool").orElse(0L);
    }

    public record SpooledRow(long seq, Row row) {
    }

    private List<Long> enqueue(String anomalyId, String dedupKey, List<NewEvent> events) throws Exception {
        List<Long> seqs = new ArrayList<>();
        long now = System.currentTimeMillis();
        try (PreparedStatement ps = db.prepareStatement("INSERT INTO outbox (anomaly_id, dedup_key, routing_key, team, action, body,"
                + " next_attempt_at, created_at) VALUES (?,?,?,?,?,?,?,?)", Statement.RETURN_GENERATED_KEYS)) {
            for (NewEvent e : events) {
                ps.setString(1, anomalyId);
                ps.setString(2, dedupKey);
                ps.setString(3, e.routingKey());
                routingKeys.add(e.routingKey());
                open.touchedKeys.add(e.routingKey());
                ps.setString(4, e.team());
                ps.setString(5, e.action());
                ps.setString(6, e.body());
                ps.setLong(7, now);
                ps.setLong(8, now);
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    seqs.add(keys.getLong(1));
                    maxSeqWritten = Math.max(maxSeqWritten, keys.getLong(1));
                }
            }
        }
        return seqs;
    }

    private void spool(List<Row> rows) throws Exception {
        try (PreparedStatement ps = db.prepareStatement("INSERT INTO clickhouse_spool (table_name, row_json) VALUES (?,?)")) {
            for (Row r : rows) {
                ps.setString(1, r.table());
                ps.setString(2, JSON.writeValueAsString(r.values()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private String dedupKeyOf(String anomalyId) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("SELECT dedup_key FROM anomalies WHERE anomaly_id = ?")) {
            ps.setString(1, anomalyId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private Optional<Long> single(String sql) {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            long v = rs.next() ? rs.getLong(1) : 0;
            boolean isNull = rs.wasNull();
            endRead();
            return isNull ? Optional.empty() : Optional.of(v);
        } catch (SQLException e) {
            throw new IllegalStateException("local store read failed: " + e.getMessage(), e);
        }
    }

    private interface Work<T> {
        T run() throws Exception;
    }

    /**
     * Runs the work as a savepoint of the open transaction, then returns once that transaction is on disk: committed
     * by this caller, or by another one that took this work along in the same fsync.
     */
    private <T> T inTransaction(Work<T> work) {
        Batch batch;
        T result;
        entering.incrementAndGet();
        synchronized (this) {
            entering.decrementAndGet();
            Savepoint savepoint = null;
            try {
                savepoint = db.setSavepoint();
                result = work.run();
                db.releaseSavepoint(savepoint);
            } catch (Exception e) {
                if (savepoint != null) {
                    try {
                        db.rollback(savepoint);
                        db.releaseSavepoint(savepoint);
                    } catch (SQLException ignored) {
                        // the original failure is what matters
                    }
                }
                throw new IllegalStateException("local store write failed: " + e.getMessage(), e);
            }
            batch = open;
            batch.writes = true;
        }
        awaitDurable(batch);
        return result;
    }

    private void awaitDurable(Batch batch) {
        synchronized (commitLock) {
            if (!batch.durable.isDone()) {
                // writers already queued for the monitor join this commit (waiting at most a millisecond for them)
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
                while (entering.get() > 0 && System.nanoTime() < until) {
                    Thread.yield();
                }
                synchronized (this) {
                    // still the open batch: only a commit closes a batch, and it completes it before letting go
                    open = new Batch();
                    long written = maxSeqWritten;
                    try {
                        db.commit();
                        maxSeqDurable = written;
                        batch.touchedKeys.forEach(this::activate);
                        batch.durable.complete(null);
                    } catch (SQLException e) {
                        try {
                            db.rollback();
                        } catch (SQLException ignored) {
                            // the commit failure is what matters
                        }
                        batch.durable.completeExceptionally(e);
                    }
                }
            }
        }
        try {
            batch.durable.join();
        } catch (CompletionException e) {
            throw new IllegalStateException("local store write failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Ends a read-only transaction; with writes waiting for their commit, that commit ends it. */
    private void endRead() throws SQLException {
        if (!open.writes) {
            db.commit();
        }
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException ignored) {
            // closing at shutdown
        }
    }
}
