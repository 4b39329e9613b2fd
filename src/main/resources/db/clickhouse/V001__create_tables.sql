-- InfraSage PagerDuty bundle, schema version 1.
-- Portable SQL: runs on ClickHouse 18.16 (Debian) and modern ClickHouse. No DateTime64, no TTL, no JSON functions.
-- ${db} is the database named in CLICKHOUSE_URL. Every statement is idempotent (IF NOT EXISTS).

CREATE DATABASE IF NOT EXISTS ${db};

-- Anomaly and incident state as change rows. Each row carries only what that change set; the current state of an
-- anomaly is argMax(column, version) over its rows (see the view queries in StateQueries). Keyed by
-- (anomaly_id, change_id) so a change written twice (a retry, a redelivered webhook) collapses into one row.
CREATE TABLE IF NOT EXISTS ${db}.anomaly_state
(
    anomaly_id          String,
    change_id           String,
    version             UInt64,
    changed_at          DateTime,
    status              String,
    service             String,
    environment         String,
    metric              String,
    severity            String,
    score               Float64,
    root_cause          String,
    dedup_key           String,
    teams               String,
    incident_id         String,
    incident_number     UInt64,
    incident_url        String,
    acknowledged_by     String,
    acknowledged_by_id  String,
    resolved_by         String,
    resolved_by_kind    String,
    assignees           String,
    detail              String
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (anomaly_id, change_id);

-- Who did what, in order. entry_id is the webhook event id or the bundle's own change id, so a repeat collapses.
CREATE TABLE IF NOT EXISTS ${db}.audit_log
(
    at            DateTime,
    entry_id      String,
    anomaly_id    String,
    incident_id   String,
    action        String,
    actor_kind    String,
    actor_id      String,
    actor_name    String,
    source        String,
    event_type    String,
    detail        String
)
ENGINE = ReplacingMergeTree
ORDER BY (at, entry_id);

-- Notes written on PagerDuty incidents (incident.annotated), kept whole.
CREATE TABLE IF NOT EXISTS ${db}.incident_notes
(
    incident_id   String,
    note_id       String,
    anomaly_id    String,
    content       String,
    trimmed       UInt8,
    author_id     String,
    author        String,
    created_at    DateTime,
    version       UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (incident_id, note_id);

-- Incident memory: what resolved an anomaly, for future root-cause analysis. Rewritten (new version) when a note
-- arrives after the resolve.
CREATE TABLE IF NOT EXISTS ${db}.incident_memory
(
    anomaly_id    String,
    incident_id   String,
    version       UInt64,
    service       String,
    root_cause    String,
    notes         String,
    note_count    UInt32,
    resolved_by   String,
    resolved_at   DateTime,
    written_at    DateTime
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (anomaly_id, incident_id);

-- Webhook deliveries already persisted: the de-duplication record for PagerDuty's at-least-once delivery.
CREATE TABLE IF NOT EXISTS ${db}.webhook_deliveries
(
    event_id      String,
    webhook_id    String,
    event_type    String,
    incident_id   String,
    outcome       String,
    received_at   DateTime
)
ENGINE = ReplacingMergeTree
ORDER BY event_id;

CREATE TABLE IF NOT EXISTS ${db}.schema_migrations
(
    version       UInt32,
    name          String,
    applied_at    DateTime
)
ENGINE = ReplacingMergeTree
ORDER BY version;
