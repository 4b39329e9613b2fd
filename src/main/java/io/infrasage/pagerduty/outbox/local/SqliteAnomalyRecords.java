package io.infrasage.pagerduty.outbox.local;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.inhibition.InhibitionRule;
import io.infrasage.pagerduty.outbox.AcceptOutcome;
import io.infrasage.pagerduty.outbox.AcceptRequest;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.Inhibition;
import io.infrasage.pagerduty.outbox.NewAnomaly;
import io.infrasage.pagerduty.outbox.NewEvent;

/**
 * The anomalies table of the local file: what was paged for each anomaly and to which routing keys, so a repeat is
 * recognised and a resolve reaches exactly the keys the trigger reached. Each accept (one anomaly or a batch) and each
 * resolve is one transaction with its outbox events and ClickHouse rows.
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
                SqliteSchemaVersion.addColumnIfMissing(s, "anomalies", "resolved_by_kind", "TEXT");
                // symptom inhibition: the root cause holding this anomaly's triggers, and when it let them go
                SqliteSchemaVersion.addColumnIfMissing(s, "anomalies", "inhibited_by", "TEXT");
                SqliteSchemaVersion.addColumnIfMissing(s, "anomalies", "released_at", "INTEGER");
                SqliteSchemaVersion.addColumnIfMissing(s, "anomalies", "refused_at", "INTEGER");
                // symptom inhibition: the service a root cause was raised for, which it never holds back
                SqliteSchemaVersion.addColumnIfMissing(s, "anomalies", "service", "TEXT");
                s.execute("CREATE INDEX IF NOT EXISTS anomalies_inhibited_by ON anomalies (inhibited_by) WHERE inhibited_by IS NOT NULL");
                s.execute("CREATE TABLE IF NOT EXISTS blast_radius (service TEXT NOT NULL, anomaly_id TEXT NOT NULL,"
                        + " PRIMARY KEY (service, anomaly_id)) WITHOUT ROWID");
                s.execute("CREATE TABLE IF NOT EXISTS held_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, anomaly_id TEXT NOT NULL,"
                        + " routing_key TEXT NOT NULL, team TEXT NOT NULL, action TEXT NOT NULL, body TEXT NOT NULL)");
                s.execute("CREATE INDEX IF NOT EXISTS held_events_by_anomaly ON held_events (anomaly_id, seq)");
            }
            return null;
        });
    }

    @Override
    public Optional<AnomalyRecord> find(String anomalyId) {
        return file.read(db -> record(db, anomalyId));
    }

    private static Optional<AnomalyRecord> record(Connection db, String anomalyId) throws Exception {
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
    }

    /**
     * Every anomaly in one write, in order: a repeat later in the list finds the earlier one, a symptom finds a root
     * cause given before it, and a resolve comes before or after the whole list. One commit, one fsync.
     */
    @Override
    public List<AcceptOutcome> acceptAll(List<AcceptRequest> requests, List<Row> unpagedRows) {
        List<AcceptOutcome> outcomes = file.write(db -> {
            List<AcceptOutcome> out = new ArrayList<>(requests.size());
            for (AcceptRequest r : requests) {
                out.add(acceptOne(db, r));
            }
            spool.spool(db, unpagedRows);
            return out;
        });
        if (!unpagedRows.isEmpty() || outcomes.stream().anyMatch(o -> o.accepted().isPresent())) {
            }
        return outcomes;
    }

    private AcceptOutcome acceptOne(Connection db, AcceptRequest r) throws Exception {
        NewAnomaly a = r.anomaly();
        Optional<String> rootCause = r.inhibition() && !r.inhibitable().isEmpty()
                ? InhibitionRule.rootCauseOf(a, rootCausesNaming(db, a.service(), r.rootCauseSinceMillis())) : Optional.empty();
        if (!insert(db, a, rootCause.isPresent() ? Inhibition.INHIBITED : "queued", rootCause.orElse(null))) {
            return AcceptOutcome.known(record(db, a.anomalyId()).orElseThrow());
        }
        if (r.inhibition()) {
            try (PreparedStatement ps = db.prepareStatement("INSERT OR IGNORE INTO blast_radius (service, anomaly_id) VALUES (?,?)")) {
                for (String service : a.blastRadius()) {
                    ps.setString(1, service);
                    ps.setString(2, a.anomalyId());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        List<NewEvent> now = new ArrayList<>(r.pagedAnyway());
        if (rootCause.isPresent()) {
            hold(db, a.anomalyId(), r.inhibitable());
        } else {
            now.addAll(r.inhibitable());
        }
        List<Long> seqs = outbox.enqueue(db, a.anomalyId(), a.dedupKey(), now);
        spool.spool(db, r.rows().of(rootCause));
        return AcceptOutcome.accepted(new Inhibition.Acceptance(seqs, rootCause));
    }

    private static boolean insert(Connection db, NewAnomaly a, String status, String inhibitedBy) throws Exception {
        try (PreparedStatement ps = db.prepareStatement("INSERT OR IGNORE INTO anomalies (anomaly_id, dedup_key, targets, severity,"
                + " status, created_at, inhibited_by, service) VALUES (?,?,?,?,?,?,?,?)")) {
            ps.setString(1, a.anomalyId());
            ps.setString(2, a.dedupKey());
            ps.setString(3, JSON.writeValueAsString(a.targets().stream()
                    .map(t -> Map.of("team", t.team(), "routing_key", t.routingKey())).toList()));
            ps.setString(4, a.severity());
            ps.setString(5, status);
            ps.setLong(6, System.currentTimeMillis());
            ps.setString(7, inhibitedBy);
            ps.setString(8, a.service());
            return ps.executeUpdate() > 0;
        }
    }

    /**
     * The root causes this file holds for a service, in the order accepted, for {@link InhibitionRule} to choose from:
     * accepted since the given time, naming the service in their blast radius, still open, paged (not held back
     * itself: a symptom is no root cause while its own page waits) and not refused by PagerDuty.
     */
    private static List<InhibitionRule.RootCause> rootCausesNaming(Connection db, String service, long sinceMillis) throws SQLException {
        List<InhibitionRule.RootCause> candidates = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement("SELECT r.anomaly_id, r.service, r.severity, r.created_at"
                + " FROM blast_radius b JOIN anomalies r ON r.anomaly_id = b.anomaly_id"
                + " WHERE b.service = ? AND r.resolved_at IS NULL AND r.created_at >= ?"
                + " AND r.refused_at IS NULL AND (r.inhibited_by IS NULL OR r.released_at IS NOT NULL) ORDER BY r.created_at, r.rowid")) {
            ps.setString(1, service);
            ps.setLong(2, sinceMillis);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    candidates.add(new InhibitionRule.RootCause(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)));
                }
            }
        }
        return candidates;
    }

    private static void hold(Connection db, String anomalyId, List<NewEvent> events) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement(
                "INSERT INTO held_events (anomaly_id, routing_key, team, action, body) VALUES (?,?,?,?,?)")) {
            for (NewEvent e : events) {
                ps.setString(1, anomalyId);
                ps.setString(2, e.routingKey());
                ps.setString(3, e.team());
                ps.setString(4, e.action());
                ps.setString(5, e.body());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * Inside the write that resolved a root cause: the held events of its symptoms still open are queued (they page
     * now), those of symptoms resolved meanwhile are dropped. Returns the symptoms paged.
     */
    private List<String> releaseSymptomsOf(Connection db, String rootCauseId) throws Exception {
        List<String[]> symptoms = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement("SELECT anomaly_id, dedup_key, resolved_at FROM anomalies"
                + " WHERE inhibited_by = ? AND released_at IS NULL")) {
            ps.setString(1, rootCauseId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String id = rs.getString(1);
                    String dedupKey = rs.getString(2);
                    rs.getLong(3);
                    symptoms.add(new String[] {id, dedupKey, rs.wasNull() ? "open" : "resolved"});
                }
            }
        }
        List<String> paged = new ArrayList<>();
        Instant now = Instant.now();
        for (String[] symptom : symptoms) {
            if (symptom[2].equals("open")) {
                outbox.enqueue(db, symptom[0], symptom[1], heldEvents(db, symptom[0]));
                spool.spool(db, Inhibition.released(symptom[0], rootCauseId, now));
                paged.add(symptom[0]);
            }
            try (PreparedStatement ps = db.prepareStatement("UPDATE anomalies SET released_at = ?,"
                    + " status = CASE WHEN resolved_at IS NULL THEN 'queued' ELSE status END WHERE anomaly_id = ?")) {
                ps.setLong(1, now.toEpochMilli());
                ps.setString(2, symptom[0]);
                ps.executeUpdate();
            }
            dropHeld(db, symptom[0]);
        }
        return paged;
    }

    private static List<NewEvent> heldEvents(Connection db, String anomalyId) throws SQLException {
        List<NewEvent> events = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT routing_key, team, action, body FROM held_events WHERE anomaly_id = ? ORDER BY seq")) {
            ps.setString(1, anomalyId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    events.add(new NewEvent(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
                }
            }
        }
        return events;
    }

    /** A held symptom resolved before its root cause: its triggers are never sent (a trigger after a resolve pages). */
    private static void dropHeld(Connection db, String anomalyId) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("DELETE FROM held_events WHERE anomaly_id = ?")) {
            ps.setString(1, anomalyId);
            ps.executeUpdate();
        }
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
            dropHeld(db, anomalyId);
            releaseSymptomsOf(db, anomalyId);
            return Optional.of(seqs);
        });
        return queued;
    }

    @Override
    public Optional<List<Long>> follow(String anomalyId, boolean whileOpen, List<NewEvent> events, List<Row> rows) {
        Optional<List<Long>> queued = file.write(db -> {
            // read and queued in one write: a resolve cannot slip between the check and the events
            try (PreparedStatement ps = db.prepareStatement("SELECT dedup_key, resolved_at FROM anomalies WHERE anomaly_id = ?")) {
                ps.setString(1, anomalyId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<List<Long>>empty();
                    }
                    String dedupKey = rs.getString(1);
                    rs.getLong(2);
                    if (whileOpen && !rs.wasNull()) {
                        return Optional.<List<Long>>empty();
                    }
                    List<Long> seqs = outbox.enqueue(db, anomalyId, dedupKey, events);
                    spool.spool(db, rows);
                    return Optional.of(seqs);
                }
            }
        });
        return queued;
    }

    @Override
    public void triggerRefused(String anomalyId) {
        boolean released = file.write(db -> {
            try (PreparedStatement ps = db.prepareStatement("UPDATE anomalies SET refused_at = COALESCE(refused_at, ?) WHERE anomaly_id = ?")) {
                ps.setLong(1, System.currentTimeMillis());
                ps.setString(2, anomalyId);
                ps.executeUpdate();
            }
            return !releaseSymptomsOf(db, anomalyId).isEmpty();
        });
        if (released) {
            }
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
            dropHeld(db, anomalyId);
            releaseSymptomsOf(db, anomalyId);
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
