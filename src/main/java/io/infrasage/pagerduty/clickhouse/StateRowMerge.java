package io.infrasage.pagerduty.clickhouse;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds a page's 'queued' state row into the row of its delivery outcome when both are about to be written together:
 * readers take each column's latest non-empty value (StateQueries), so one row carrying the queued row's details at
 * the outcome's version reads exactly like the two, and ClickHouse stores, and the writer converts, one row instead of
 * two for most pages. Rows stay in their order; every other row is left as it is.
 */
public final class StateRowMerge {

    /** Outcomes of a trigger's delivery that follow its 'queued' row (OutboxSettlement). */
    static final Set<String> DELIVERY_OUTCOMES = Set.of("sent", "failed");
    static final String QUEUED = "queued";

    private StateRowMerge() {
    }

    public static List<Row> merged(List<Row> rows) {
        // per anomaly: the index of its latest state row so far, if that row is a 'queued' one
        Map<String, Integer> queuedAt = new HashMap<>();
        List<Row> out = new ArrayList<>(rows);
        boolean[] dropped = new boolean[rows.size()];
        for (int i = 0; i < out.size(); i++) {
            Row row = out.get(i);
            if (!row.table().equals(StateRows.STATE)) {
                continue;
            }
            String anomalyId = String.valueOf(row.values().get("anomaly_id"));
            Object status = row.values().get("status");
            Integer queued = queuedAt.remove(anomalyId);
            if (queued != null && DELIVERY_OUTCOMES.contains(status) && version(row) > version(out.get(queued))) {
                Map<String, Object> values = new HashMap<>(out.get(queued).values());
                values.putAll(row.values());
                out.set(i, new Row(StateRows.STATE, Map.copyOf(values)));
                dropped[queued] = true;
            } else if (QUEUED.equals(status)) {
                queuedAt.put(anomalyId, i);
            }
        }
        List<Row> kept = new ArrayList<>(out.size());
        for (int i = 0; i < out.size(); i++) {
            if (!dropped[i]) {
                kept.add(out.get(i));
            }
        }
        return kept;
    }

    private static long version(Row row) {
        return row.values().get("version") instanceof Number n ? n.longValue() : Long.MIN_VALUE;
    }
}
