package io.infrasage.pagerduty.outbox.local;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.NewEvent;

/**
 * The anomalies table of the local file: what was paged for each anomaly and to which routing keys, so a repeat is
 * recognised and a resolve reaches exactly the keys the trigger reached. Each accept and resolve is one transaction
 * with its outbox events and ClickHouse rows.
 */
public final class SqliteAnomalyRecords implements AnomalyRecords {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<Map<String, String>>> TARGETS = new TypeReference<>() { };

    private final SqliteFile file;
    private final SqliteOutbox outbox;
    private final SqliteRowSpool spool;

    SqliteAnomalyRecords(SqliteFile file, SqliteOutbox outbox, SqliteRowSpool spool) {
        this.file = file;
        this.outbox = outbox;
        this.spool = spool;
        file.define(db -> {
            try (Statement s = db.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS anomalies (anomaly_id TEXT PRIMARY KEY, dedup_key TEXT NOT NULL,"
                        + " targets TEXT NOT NULL, severity TEXT, status TEXT NOT NULL, created_at INTEGER NOT NULL,"
                        + " resolved_at INTEGER, resolved_by TEXT)");
                addColumnIfMissing(s, "anomalies", "resolved_by_kind", "TEXT");
            }
            return null;
        });
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

    @Override
    public Optional<AnomalyRecord> find(String anomalyId) {
        return file.read(db -> {
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
                    return Optional.of(new AnomalyRecord(rs.getString(1), rs.getString(2), targets, rs.getString(4),
                            rs.getString(5), resolvedAt, rs.getString(7), rs.getString(8)));
                }
            }
        });
    }

    @Override
    public Optional<List<Long>> accept(String anomalyId, String dedupKey, List<RoutingTarget> targets, String severity,
                                       String status, List<NewEvent> events, List<Row> rows) {
        Optional<List<Long>> queued = file.write(db -> {
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
            List<Long> seqs = outbox.enqueue(db, anomalyId, dedupKey, events);
            spool.spool(db, rows);
            return Optional.of(seqs);
        });
        queued.ifPresent(q -> spool.rowsAdded());
        return queued;
    }

    @Override
    public Optional<List<Long>> resolve(String anomalyId, String resolvedBy, List<NewEvent> events, List<Row> rows) {
        Optional<List<Long>> queued = file.write(db -> {
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
            List<Long> seqs = outbox.enqueue(db, anomalyId, dedupKeyOf(db, anomalyId), events);
            spool.spool(db, rows);
            return Optional.of(seqs);
        });
        queued.ifPresent(q -> spool.rowsAdded());
        return queued;
    }

    @Override
    public Optional<List<Long>> resendResolve(String anomalyId, List<NewEvent> events, List<Row> rows) {
        Optional<List<Long>> queued = file.write(db -> {
            try (PreparedStatement ps = db.prepareStatement(
                    "SELECT dedup_key FROM anomalies WHERE anomaly_id = ? AND resolved_by_kind = 'runbook'")) {
                ps.setString(1, anomalyId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<List<Long>>empty();
                    }
                    List<Long> seqs = outbox.enqueue(db, anomalyId, rs.getString(1), events);
                    spool.spool(db, rows);
                    return Optional.of(seqs);
                }
            }
        });
        queued.ifPresent(q -> spool.rowsAdded());
        return queued;
    }

    @Override
    public int resolvedInPagerDuty(String anomalyId, String resolvedBy, String resolvedByKind) {
        return file.write(db -> {
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
            return outbox.dropTriggers(db, anomalyId);
        });
    }

    private static String dedupKeyOf(Connection db, String anomalyId) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("SELECT dedup_key FROM anomalies WHERE anomaly_id = ?")) {
            ps.setString(1, anomalyId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
