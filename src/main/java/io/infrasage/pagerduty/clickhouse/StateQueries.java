package io.infrasage.pagerduty.clickhouse;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.stream.Collectors;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads of the current state. anomaly_state holds change rows that carry only what changed, so the current value of
 * a column is its latest non-empty value: argMaxIf(column, version, column != ''). Portable to ClickHouse 18.16.
 */
public final class StateQueries {

    /** The current state of one anomaly, in the columns of anomaly_state. */
    static final List<String> VIEW_COLUMNS = List.of("status", "service", "environment", "metric", "severity", "root_cause",
            "dedup_key", "teams", "incident_id", "incident_url", "acknowledged_by", "acknowledged_by_id", "resolved_by",
            "resolved_by_kind", "assignees", "detail");

    /**
     * The statuses that open an incident or say who has it: the latest of them is "acknowledged" while the last
     * acknowledgement still stands (through a resolve), and no longer after an unacknowledge, a reopen or a new page.
     */
    static final String OPEN_STATUSES = "'queued', 'sent', 'triggered', 'acknowledged'";

    /** The row filter of anomaly(id) (parameter: anomaly id). */
    static final String ONE_ANOMALY = "anomaly_id = ?";

    private final ClickHouse clickHouse;

    public StateQueries(ClickHouse clickHouse) {
        this.clickHouse = clickHouse;
    }

    /**
     * The current-state view of anomaly_state, filtered by a WHERE clause on its rows. Aggregates get c_ aliases inside
     * and their plain names outside: in ClickHouse an alias is visible in the whole SELECT, so naming an aggregate
     * "status" would capture the status column of the other aggregates.
     */
    public String viewQuery(String rowFilter) {
        return viewQuery(clickHouse.table(StateRows.STATE), rowFilter);
    }

    /** viewQuery on the given (database-qualified) anomaly_state table. */
    static String viewQuery(String stateTable, String rowFilter) {
        StringBuilder inner = new StringBuilder("SELECT anomaly_id");
        StringBuilder outer = new StringBuilder("SELECT anomaly_id");
        for (String c : VIEW_COLUMNS) {
            inner.append(", argMaxIf(").append(c).append(", version, ").append(c).append(" != '') AS c_").append(c);
            outer.append(", c_").append(c).append(" AS ").append(c);
        }
        inner.append(", argMaxIf(score, version, severity != '') AS c_score")
                .append(", argMaxIf(incident_number, version, incident_number != 0) AS c_incident_number")
                .append(", argMaxIf(status, version, status IN (" + OPEN_STATUSES + ")) AS c_last_open_status")
                .append(", maxIf(changed_at, status = 'resolved') AS c_resolved_at")
                .append(", max(changed_at) AS c_updated_at");
        // times as UTC text: an empty DateTime is '0000-00-00 00:00:00' on 18.16, which the JDBC driver cannot parse,
        // and a server outside UTC would otherwise render them in its own zone
        outer.append(", c_score AS score, c_incident_number AS incident_number, c_last_open_status AS last_open_status")
                .append(", toString(c_resolved_at, 'UTC') AS resolved_at")
                .append(", toString(c_updated_at, 'UTC') AS updated_at");
        inner.append(" FROM ").append(stateTable).append(" WHERE ").append(rowFilter)
                .append(" GROUP BY anomaly_id");
        return outer.append(" FROM (").append(inner).append(") ORDER BY anomaly_id").toString();
    }

    /** Current state of the anomalies whose status is one of these, among those changed within the last days. */
    public List<Map<String, Object>> withStatus(Collection<String> statuses, long withinDays) {
        return query(withStatusSql(clickHouse.table(StateRows.STATE), statuses, withinDays), List.of());
    }

    /**
     * The view of the anomalies changed within the last days (all their rows, so the view is whole), kept when their
     * current status is one of these. Statuses are the bundle's own words, never input.
     */
    public static String withStatusSql(String stateTable, Collection<String> statuses, long withinDays) {
        String recent = "anomaly_id IN (SELECT anomaly_id FROM " + stateTable + " WHERE changed_at > subtractDays(now(), "
                + withinDays + "))";
        return "SELECT * FROM (" + viewQuery(stateTable, recent) + ") WHERE status IN ("
                + statuses.stream().sorted().map(st -> "'" + st + "'").collect(Collectors.joining(", ")) + ")";
    }

    /** The latest time (UTC text, whole seconds) each of these anomalies had an audit entry with this action. */
    public Map<String, String> lastAudited(String action, List<String> anomalyIds) {
        Map<String, String> found = new LinkedHashMap<>();
        if (!anomalyIds.isEmpty()) {
            List<String> params = new ArrayList<>(anomalyIds);
            params.add(0, action);
            query(lastAuditedSql(clickHouse.table(StateRows.AUDIT), anomalyIds.size()), params)
                    .forEach(r -> found.put((String) r.get("anomaly_id"), (String) r.get("at")));
        }
        return found;
    }

    /** Parameters: the action, then n anomaly ids. */
    public static String lastAuditedSql(String auditTable, int n) {
        return "SELECT anomaly_id, toString(max(at), 'UTC') AS at FROM " + auditTable + " WHERE action = ? AND anomaly_id IN ("
                + String.join(", ", Collections.nCopies(n, "?")) + ") GROUP BY anomaly_id ORDER BY anomaly_id";
    }

    public Optional<Map<String, Object>> anomaly(String anomalyId) {
        List<Map<String, Object>> rows = anomalies(ONE_ANOMALY, List.of(anomalyId));
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    /** Current state of the anomalies matching a WHERE clause on anomaly_state (parameters bound as strings). */
    public List<Map<String, Object>> anomalies(String where, List<String> params) {
        return query(viewQuery(where), params);
    }

    /**
     * Whether anomaly_state has any row of this anomaly. Much cheaper than anomaly(id): the JDBC driver parses every
     * statement it prepares, and the view query's sixteen aggregates would cost it more CPU than ClickHouse spends answering.
     */
    public boolean hasState(String anomalyId) {
        return !query(hasStateSql(clickHouse.table(StateRows.STATE)), List.of(anomalyId)).isEmpty();
    }

    /** One row when the anomaly has state rows, none otherwise (parameter: anomaly id). */
    static String hasStateSql(String stateTable) {
        return "SELECT anomaly_id FROM " + stateTable + " WHERE anomaly_id = ? LIMIT 1";
    }

    public List<String> anomalyIdsOfIncident(String incidentId) {
        List<String> ids = new ArrayList<>();
        for (Map<String, Object> row : query(anomalyIdsOfIncidentSql(clickHouse.table(StateRows.STATE)), List.of(incidentId))) {
            ids.add((String) row.get("anomaly_id"));
        }
        return ids;
    }

    /** The anomalies an incident is linked to (parameter: incident id). */
    static String anomalyIdsOfIncidentSql(String stateTable) {
        return "SELECT DISTINCT anomaly_id FROM " + stateTable + " WHERE incident_id = ?";
    }

    /** Notes kept for an incident, oldest first. */
    public List<Map<String, Object>> notes(String incidentId) {
        return query(notesSql(clickHouse.table(StateRows.NOTES)), List.of(incidentId));
    }

    /** The notes of an incident, oldest first (parameter: incident id). */
    static String notesSql(String notesTable) {
        return "SELECT note_id, content, author, toString(created_at, 'UTC') AS created_at FROM " + notesTable
                + " FINAL WHERE incident_id = ? ORDER BY created_at, note_id";
    }

    public List<Map<String, Object>> query(String sql, List<String> params) {
        try (Connection c = clickHouse.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.size(); i++) {
                ps.setString(i + 1, params.get(i));
            }
            List<Map<String, Object>> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= n; i++) {
                        Object v = rs.getObject(i);
                        // times and other driver types as text: the same on the legacy and the modern driver
                        row.put(rs.getMetaData().getColumnLabel(i), v instanceof Number || v == null ? v : rs.getString(i));
                    }
                    out.add(row);
                }
            }
            return out;
        } catch (SQLException e) {
            throw new PersistenceUnavailableException("ClickHouse read failed: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }
}
