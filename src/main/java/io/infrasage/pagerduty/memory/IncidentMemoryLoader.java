package io.infrasage.pagerduty.memory;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.infrasage.pagerduty.anomaly.PagerDutyEvents;
import io.infrasage.pagerduty.clickhouse.ClickHouse;
import io.infrasage.pagerduty.clickhouse.SchemaMigrator;
import io.infrasage.pagerduty.clickhouse.StateQueries;
import io.infrasage.pagerduty.clickhouse.StateRows;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refreshes the local view of incident memory from ClickHouse, in the background (routes/incident-memory.camel.yaml
 * calls {@link #refresh()} every INFRASAGE_PAGE_MEMORY_REFRESH). The first refresh reads each service's newest
 * resolutions; later ones read only rows written since (with an overlap, so a row whose insert was delayed, or written
 * by another instance with a slower clock, is not missed). A failed refresh leaves the view as it was and is logged once
 * per outage; after a few, pages go out without memory (see PageMemory).
 */
public final class IncidentMemoryLoader {

    private static final Logger LOG = LoggerFactory.getLogger(IncidentMemoryLoader.class);
    /** Rows written up to this long before the newest one seen are read again: inserts can land late. */
    static final long OVERLAP_SECONDS = 300;
    /** A readable length for what a page shows of a note and of a root cause. */
    static final int NOTE_CHARS = 500;
    static final int ROOT_CAUSE_CHARS = 300;

    private final ClickHouse clickHouse;
    private final SchemaMigrator schema;
    private final StateQueries queries;
    private final PageMemory memory;
    /** written_at (ClickHouse's seconds) of the newest row read: the next refresh reads from a little before it. */
    private long newestWrittenAt;
    private boolean failing;

    public IncidentMemoryLoader(ClickHouse clickHouse, SchemaMigrator schema, StateQueries queries, PageMemory memory) {
        this.clickHouse = clickHouse;
        this.schema = schema;
        this.queries = queries;
        this.memory = memory;
    }

    /** One refresh; never throws (a timer route calls it), and does nothing when page memory is off. */
    public synchronized void refresh() {
        if (!memory.enabled() || !schema.isApplied()) {
            // before the schema is applied there is nothing to read yet, and no outage to report
            return;
        }
        try {
            long since = newestWrittenAt == 0 ? 0 : newestWrittenAt - OVERLAP_SECONDS;
            List<Map<String, Object>> rows = queries.query(refreshSql(clickHouse.table(StateRows.MEMORY),
                    clickHouse.table(StateRows.STATE), since), List.of());
            List<PastResolution> read = new ArrayList<>(rows.size());
            for (Map<String, Object> row : rows) {
                read.add(pastResolution(row));
                newestWrittenAt = Math.max(newestWrittenAt, ((Number) row.get("written_at")).longValue());
            }
            memory.view().merge(read);
            memory.refreshed();
            if (failing) {
                LOG.info("incident memory refreshed again from ClickHouse ({} entries): pages carry past resolutions again",
                        memory.entries());
                failing = false;
            }
        } catch (RuntimeException e) {
            if (!failing) {
                LOG.warn("incident memory cannot be refreshed from ClickHouse ({}); pages go out without it until it can",
                        e.getMessage());
                failing = true;
            }
        }
    }

    /**
     * Resolutions written since a time (epoch seconds; 0 for all): the latest version of each, at most
     * {@link IncidentMemoryView#PER_SERVICE} per service and {@link IncidentMemoryView#MAX_ENTRIES} in all, newest
     * first, each with the link to its incident from anomaly_state, and the anomaly's service and root cause from there
     * too (incident memory copies them when it is written, and has none when a resolve overtook the page's own state
     * row on its way to ClickHouse). Portable to ClickHouse 18.16.
     */
    public static String refreshSql(String memoryTable, String stateTable, long sinceEpochSeconds) {
        String since = "written_at >= toDateTime(" + sinceEpochSeconds + ")";
        return "SELECT anomaly_id, incident_id, version, service, root_cause, notes, resolved_by,"
                + " toString(resolved_at, 'UTC') AS resolved_at, toUnixTimestamp(written_at) AS written_at, incident_url,"
                + " state_service, state_root_cause FROM ("
                + "SELECT * FROM (SELECT anomaly_id, incident_id, version, service, root_cause, notes, resolved_by, resolved_at,"
                + " written_at FROM " + memoryTable + " WHERE " + since + " ORDER BY version DESC LIMIT 1 BY anomaly_id, incident_id)"
                + " ORDER BY resolved_at DESC, version DESC LIMIT " + IncidentMemoryView.PER_SERVICE + " BY service LIMIT "
                + IncidentMemoryView.MAX_ENTRIES + ") AS remembered"
                + " ANY LEFT JOIN (SELECT anomaly_id, argMaxIf(incident_url, version, incident_url != '') AS incident_url,"
                + " argMaxIf(service, version, service != '') AS state_service,"
                + " argMaxIf(root_cause, version, root_cause != '') AS state_root_cause FROM "
                + stateTable + " WHERE anomaly_id IN (SELECT anomaly_id FROM " + memoryTable + " WHERE " + since + ")"
                + " GROUP BY anomaly_id) AS links USING anomaly_id";
    }

    static PastResolution pastResolution(Map<String, Object> row) {
        String rootCause = orElse(text(row, "root_cause"), text(row, "state_root_cause"));
        String url = text(row, "incident_url");
        return new PastResolution(text(row, "anomaly_id"), text(row, "incident_id"), orElse(text(row, "service"), text(row, "state_service")),
                rootCause.isEmpty() ? null : PagerDutyEvents.truncate(rootCause, ROOT_CAUSE_CHARS), PastResolution.rootCauseKey(rootCause),
                PagerDutyEvents.truncate(text(row, "notes"), NOTE_CHARS), emptyToNull(text(row, "resolved_by")),
                instant(text(row, "resolved_at")), url.isEmpty() ? null : url, ((Number) row.get("version")).longValue());
    }

    private static String text(Map<String, Object> row, String column) {
        Object v = row.get(column);
        return v == null ? "" : v.toString();
    }

    private static String orElse(String value, String fallback) {
        return value.isEmpty() ? fallback : value;
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    /** ClickHouse's 'yyyy-MM-dd HH:mm:ss' in UTC; an empty DateTime (0000-00-00 or 1970) is unknown. */
    private static Instant instant(String text) {
        if (text.isEmpty() || text.startsWith("0000") || text.startsWith("1970")) {
            return null;
        }
        return LocalDateTime.parse(text.replace(' ', 'T')).toInstant(ZoneOffset.UTC);
    }
}
