-- InfraSage PagerDuty bundle, schema version 2: what each page carried from incident memory.
-- Portable SQL, like V001: runs on ClickHouse 18.16 and modern ClickHouse. Idempotent (IF NOT EXISTS).

-- One row per page that carried past resolutions, written with the page's own state rows when it is accepted
-- (a page that carried none has no row). GET /api/v1/pagerduty/incidents shows the count per incident.
CREATE TABLE IF NOT EXISTS ${db}.page_memory
(
    anomaly_id        String,
    version           UInt64,
    paged_at          DateTime,
    service           String,
    past_resolutions  UInt32,
    past_anomaly_ids  String
)
ENGINE = ReplacingMergeTree(version)
ORDER BY anomaly_id;
