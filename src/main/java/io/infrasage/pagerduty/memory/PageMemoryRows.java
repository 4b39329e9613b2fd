package io.infrasage.pagerduty.memory;

import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.clickhouse.StateRows;

/**
 * The page_memory table (V002): how many past resolutions each page carried, written with the page's own state rows
 * when it is accepted, and read by the verification listing.
 */
public final class PageMemoryRows {

    public static final String TABLE = "page_memory";

    private PageMemoryRows() {
    }

    /** The record of what a page carried; none for a page that carried nothing (the listing reads that as 0). */
    public static List<Row> carried(String anomalyId, String service, int count, List<PastResolution> past, Instant at) {
        if (count == 0) {
            return List.of();
        }
        return List.of(Row.into(TABLE).set("anomaly_id", anomalyId).set("version", StateRows.nextVersion()).set("paged_at", at)
                .set("service", service).set("past_resolutions", count)
                .set("past_anomaly_ids", past.stream().limit(count).map(PastResolution::anomalyId).collect(Collectors.joining(",")))
                .build());
    }

    /** Past resolutions carried, per anomaly (parameters: that many anomaly ids). */
    public static String carriedSql(String pageMemoryTable, int anomalies) {
        return "SELECT anomaly_id, argMax(past_resolutions, version) AS past_resolutions FROM " + pageMemoryTable
                + " WHERE anomaly_id IN (" + String.join(", ", java.util.Collections.nCopies(anomalies, "?")) + ") GROUP BY anomaly_id";
    }
}
