package io.infrasage.pagerduty.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.stream.Stream;

import io.infrasage.pagerduty.anomaly.Anomaly;
import io.infrasage.pagerduty.memory.IncidentMemoryLoader;
import io.infrasage.pagerduty.memory.PageMemoryRows;
import io.infrasage.pagerduty.memory.PastResolution;
import io.infrasage.pagerduty.testing.ChDb;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundle's SQL on modern ClickHouse (chDB: ClickHouse 26.x in-process, installed by scripts/install-chdb.sh when
 * missing): every statement of every migration, twice, and the migrator's record of it; the writer's INSERTs for every
 * table; every query the bundle runs. The integration tests run the same SQL on ClickHouse 18.16 through the JDBC
 * driver; here it comes from the same methods, with the JDBC parameters rendered as literals.
 */
class ModernClickHouseTest {

    private static final String DB = "infrasage";
    private static final String INCIDENT = "PABC123";
    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    /** Text with everything a literal must escape, and what TSV escapes on the way back. */
    private static final String AWKWARD = "Restarted the pool.\nmax_connections=10 \\ too low; see 'runbook #7'\tZoë ✓ ?";

    private static ChDb chdb;
    private static final Map<String, Integer> rowsWritten = new LinkedHashMap<>();

    @BeforeAll
    static void migrateAndWrite() throws IOException {
        Path session = LocalClickHouse.projectRoot().resolve("target/chdb-session");
        deleteRecursively(session);
        chdb = ChDb.open(session);
        migrate();
        migrate(); // every statement is idempotent: a second start changes nothing
        writeWhatTheBundleWrites();
    }

    @AfterAll
    static void close() {
        if (chdb != null) {
            chdb.close();
        }
    }

    @Test
    void runsAModernClickHouse() {
        String version = chdb.query("SELECT version()").rows().get(0).get(0);
        System.out.println("ModernClickHouseTest: chDB " + chdb.packageVersion() + " runs ClickHouse " + version);

        assertThat(Integer.parseInt(version.substring(0, version.indexOf('.')))).as("ClickHouse major of " + version)
                .isGreaterThanOrEqualTo(23);
    }

    @Test
    void migrationsCreateEveryTableOnceAndRecordTheirVersionOnce() {
        Map<String, String> engines = new LinkedHashMap<>();
        chdb.query("SELECT name, engine FROM system.tables WHERE database = '" + DB + "' ORDER BY name").rows()
                .forEach(r -> engines.put(r.get(0), r.get(1)));

        assertThat(engines).containsExactly(entry("anomaly_state", "ReplacingMergeTree"), entry("audit_log", "ReplacingMergeTree"),
                entry("incident_memory", "ReplacingMergeTree"), entry("incident_notes", "ReplacingMergeTree"),
                entry("page_memory", "ReplacingMergeTree"), entry("schema_migrations", "ReplacingMergeTree"),
                entry("webhook_deliveries", "ReplacingMergeTree"));
        assertThat(chdb.query("SELECT version, name FROM " + table("schema_migrations") + " ORDER BY version").rows())
                .containsExactly(List.of("1", "V001__create_tables.sql"), List.of("2", "V002__page_memory.sql"));
    }

    @Test
    void theClusterFormOfEveryMigrationStatementParsesOnModernClickHouse() {
        // no ZooKeeper in chDB to create them with: the parser checks ON CLUSTER's place and the Replicated engines' arguments
        ClusterDdl cluster = new ClusterDdl("prod_cluster");
        for (String file : SchemaMigrator.migrationFiles()) {
            for (String sql : SchemaMigrator.statements(SchemaMigrator.read(file), DB)) {
                String ast = String.join("\n", chdb.query("EXPLAIN AST " + cluster.apply(sql)).column(0));
                assertThat(ast).as(sql).doesNotContain("Function ReplacingMergeTree");
                if (sql.contains("ENGINE")) {
                    assertThat(ast).as(sql).contains("Function ReplicatedReplacingMergeTree", "'{replica}'");
                }
            }
        }
    }

    @Test
    void theWriterReadsColumnTypesItCanCastTo() {
        Map<String, String> state = columnTypes(StateRows.STATE);

        assertThat(state).hasSize(22).containsEntry("version", "UInt64").containsEntry("changed_at", "DateTime")
                .containsEntry("score", "Float64").containsEntry("incident_number", "UInt64").containsEntry("status", "String");
        assertThat(columnTypes(StateRows.NOTES)).containsEntry("trimmed", "UInt8");
        assertThat(columnTypes(StateRows.MEMORY)).containsEntry("note_count", "UInt32");
        assertThat(columnTypes(PageMemoryRows.TABLE)).containsEntry("past_resolutions", "UInt32");
        for (String t : List.of(StateRows.STATE, StateRows.AUDIT, StateRows.NOTES, StateRows.MEMORY, StateRows.DELIVERIES,
                PageMemoryRows.TABLE)) {
            columnTypes(t).values().forEach(type -> assertThat(ClickHouseWriter.castFor(type)).contains("?"));
        }
    }

    @Test
    void everyTableHoldsEveryRowWritten() {
        assertThat(rowsWritten.keySet()).containsExactlyInAnyOrder(StateRows.STATE, StateRows.AUDIT, StateRows.NOTES,
                StateRows.MEMORY, StateRows.DELIVERIES, PageMemoryRows.TABLE);
        rowsWritten.forEach((t, n) -> assertThat(chdb.query("SELECT count() FROM " + table(t)).rows())
                .as(t).containsExactly(List.of(Integer.toString(n))));
        assertThat(chdb.query("SELECT action, actor_name, detail FROM " + table(StateRows.AUDIT)
                + " WHERE entry_id = 'evt-note-1/a-1'").rows()).containsExactly(List.of("annotated", "Ann O'Neil", AWKWARD));
    }

    @Test
    void viewGivesTheLatestNonEmptyValueOfEachColumn() {
        List<Map<String, String>> rows = view(StateQueries.ONE_ANOMALY, "a-1");

        assertThat(rows).hasSize(1);
        assertThat(rows.get(0)).containsEntry("anomaly_id", "a-1")
                .containsEntry("status", "resolved") // the reassignment after the resolve carries no status
                .containsEntry("assignees", "Bob \\ Builder, Zoë")
                .containsEntry("service", "payment-api").containsEntry("environment", "prod")
                .containsEntry("metric", "p99_latency_ms").containsEntry("severity", "critical").containsEntry("score", "0.93")
                .containsEntry("root_cause", "connection pool exhausted").containsEntry("dedup_key", "infrasage-a-1")
                .containsEntry("teams", "payments").containsEntry("incident_id", INCIDENT).containsEntry("incident_number", "4711")
                .containsEntry("incident_url", "https://acme.pagerduty.com/incidents/" + INCIDENT)
                .containsEntry("acknowledged_by", "Ann O'Neil").containsEntry("acknowledged_by_id", "PUSER1")
                .containsEntry("resolved_by", "Ann O'Neil").containsEntry("resolved_by_kind", "engineer")
                .containsEntry("resolved_at", "2025-03-01 10:00:05").containsEntry("updated_at", "2025-03-01 10:00:06");
    }

    @Test
    void viewOfAnAnomalyNeverResolved() {
        List<Map<String, String>> rows = view(StateQueries.ONE_ANOMALY, "a-2");

        assertThat(rows).hasSize(1);
        // 18.16 answers '0000-00-00 00:00:00' here; WebhookHandler treats both as "not resolved"
        assertThat(rows.get(0)).containsEntry("status", "triggered").containsEntry("incident_number", "4711")
                .containsEntry("acknowledged_by", "").containsEntry("resolved_at", "1970-01-01 00:00:00")
                .containsEntry("updated_at", "2025-03-01 10:00:02");
        assertThat(view(StateQueries.ONE_ANOMALY, "a-404")).isEmpty();
    }

    @Test
    void viewIsOrderedByAnomalyAndKeepsAnomaliesWithoutIncident() {
        List<Map<String, String>> rows = view("anomaly_id != ?", "");

        assertThat(rows).extracting(r -> r.get("anomaly_id")).containsExactly("a-1", "a-2", "a-3");
        assertThat(rows.get(2)).containsEntry("status", "sent").containsEntry("incident_id", "")
                .containsEntry("incident_number", "0").containsEntry("score", "0.5");
    }

    @Test
    void theSelfHealingSyncReadsTheAnomaliesStillOpenAndWhichWereDelivered() {
        String open = StateQueries.withStatusSql(table(StateRows.STATE), List.of("queued", "sent", "triggered", "acknowledged"), 3650);
        assertThat(chdb.query(open).maps()).extracting(r -> r.get("anomaly_id") + " " + r.get("status"))
                .containsExactly("a-2 triggered", "a-3 sent");
        assertThat(chdb.query(StateQueries.withStatusSql(table(StateRows.STATE), List.of("sent"), 0)).rows())
                .as("nothing changed within the last 0 days").isEmpty();
        String delivered = ChDb.bind(StateQueries.lastAuditedSql(table(StateRows.AUDIT), 2), List.of("trigger_delivered", "a-1", "a-2"));
        assertThat(chdb.query(delivered).rows()).containsExactly(List.of("a-1", "2025-03-01 10:00:01"));
    }

    @Test
    void whetherAnAnomalyHasStateRows() {
        assertThat(chdb.query(ChDb.bind(StateQueries.hasStateSql(table(StateRows.STATE)), List.of("a-1"))).column(0))
                .containsExactly("a-1");
        assertThat(chdb.query(ChDb.bind(StateQueries.hasStateSql(table(StateRows.STATE)), List.of("a-404"))).rows()).isEmpty();
    }

    @Test
    void anomaliesOfAnIncident() {
        assertThat(chdb.query(ChDb.bind(StateQueries.anomalyIdsOfIncidentSql(table(StateRows.STATE)), List.of(INCIDENT)))
                .column(0)).containsExactlyInAnyOrder("a-1", "a-2");
        assertThat(chdb.query(ChDb.bind(StateQueries.anomalyIdsOfIncidentSql(table(StateRows.STATE)), List.of("P404"))).rows())
                .isEmpty();
    }

    @Test
    void notesOfAnIncidentOnceEachOldestFirst() {
        String sql = ChDb.bind(StateQueries.notesSql(table(StateRows.NOTES)), List.of(INCIDENT));

        List<Map<String, String>> notes = chdb.query(sql).maps();

        // note-1 was delivered twice (two inserts, two parts); FINAL collapses it
        assertThat(chdb.query("SELECT count() FROM " + table(StateRows.NOTES) + " WHERE note_id = 'note-1'").rows())
                .containsExactly(List.of("2"));
        assertThat(notes).containsExactly(
                Map.of("note_id", "note-2", "content", "First look: DB CPU at 100%", "author", "Bob", "created_at", "2025-03-01 10:00:01"),
                Map.of("note_id", "note-1", "content", AWKWARD, "author", "Ann O'Neil", "created_at", "2025-03-01 10:00:04"));
    }

    @Test
    void incidentMemoryKeepsItsLatestVersion() {
        assertThat(chdb.query("SELECT note_count, resolved_by, toString(resolved_at), notes FROM " + table(StateRows.MEMORY)
                + " FINAL WHERE anomaly_id = 'a-1'").rows())
                .containsExactly(List.of("2", "Ann O'Neil", "2025-03-01 10:00:05", "Bob: First look: DB CPU at 100%\n---\nAnn O'Neil: " + AWKWARD));
    }

    @Test
    void incidentMemoryRefreshReadsTheLatestVersionOfEachResolutionWithTheLinkToItsIncident() {
        List<Map<String, String>> rows = chdb.query(IncidentMemoryLoader.refreshSql(table(StateRows.MEMORY), table(StateRows.STATE), 0))
                .maps();

        assertThat(rows).hasSize(1);
        assertThat(rows.get(0)).containsEntry("anomaly_id", "a-1").containsEntry("incident_id", INCIDENT)
                .containsEntry("service", "payment-api").containsEntry("root_cause", "connection pool exhausted")
                .containsEntry("notes", "Bob: First look: DB CPU at 100%\n---\nAnn O'Neil: " + AWKWARD)
                .containsEntry("resolved_by", "Ann O'Neil").containsEntry("resolved_at", "2025-03-01 10:00:05")
                .containsEntry("incident_url", "https://acme.pagerduty.com/incidents/" + INCIDENT)
                .containsEntry("state_service", "payment-api").containsEntry("state_root_cause", "connection pool exhausted")
                .containsEntry("version", chdb.query("SELECT max(version) FROM " + table(StateRows.MEMORY)).rows().get(0).get(0));
        assertThat(Long.parseLong(rows.get(0).get("written_at"))).isPositive();
        // a later refresh reads only what was written since
        long future = Instant.now().plusSeconds(3600).getEpochSecond();
        assertThat(chdb.query(IncidentMemoryLoader.refreshSql(table(StateRows.MEMORY), table(StateRows.STATE), future)).rows())
                .isEmpty();
    }

    @Test
    void theListingReadsHowManyPastResolutionsEachPageCarried() {
        String sql = ChDb.bind(PageMemoryRows.carriedSql(table(PageMemoryRows.TABLE), 2), List.of("a-3", "a-404"));

        assertThat(chdb.query(sql).rows()).containsExactly(List.of("a-3", "1"));
    }

    @Test
    void theWriterFindsDeliveriesAlreadyPersisted() {
        List<String> ids = List.of("evt-ack", "evt-never-seen", "evt-resolve", "it's \\ odd");
        String sql = ClickHouseWriter.persistedDeliveriesSql(table(StateRows.DELIVERIES), ids);

        assertThat(chdb.query(sql).column(0)).containsExactlyInAnyOrder("evt-ack", "evt-resolve");
    }

    @Test
    void livenessQueryAnswers() {
        assertThat(chdb.query(ClickHouse.LIVENESS_SQL).rows()).containsExactly(List.of("1"));
    }

    // ---- what the bundle does, on chDB ---------------------------------------------------------------------------

    /** SchemaMigrator.apply(): every statement of every migration, then its record. */
    private static void migrate() {
        for (String file : SchemaMigrator.migrationFiles()) {
            for (String sql : SchemaMigrator.statements(SchemaMigrator.read(file), DB)) {
                chdb.query(sql);
            }
            chdb.query(SchemaMigrator.recordSql(table("schema_migrations"), file));
        }
    }

    /** ClickHouseWriter.columnTypes(): the system.columns query. */
    private static Map<String, String> columnTypes(String t) {
        Map<String, String> types = new LinkedHashMap<>();
        chdb.query(ChDb.bind(ClickHouseWriter.COLUMN_TYPES_SQL, List.of(DB, t))).rows().forEach(r -> types.put(r.get(0), r.get(1)));
        return types;
    }

    /** ClickHouseWriter's batch: per table, its INSERT with the VALUES tuple once per row, as the JDBC driver sends it. */
    private static void write(List<Row> rows) {
        Map<String, List<Row>> byTable = new LinkedHashMap<>();
        rows.forEach(r -> byTable.computeIfAbsent(r.table(), t -> new ArrayList<>()).add(r));
        byTable.forEach((t, tableRows) -> {
            Map<String, String> types = columnTypes(t);
            List<String> columns = new ArrayList<>(types.keySet());
            String sql = ClickHouseWriter.insertSql(table(t), columns, types);
            int tuple = sql.indexOf(" VALUES (") + " VALUES ".length();
            StringJoiner batch = new StringJoiner(", ", sql.substring(0, tuple), "");
            for (Row r : tableRows) {
                batch.add(ChDb.bind(sql.substring(tuple), ClickHouseWriter.insertValues(columns, types, r)));
            }
            chdb.query(batch.toString());
            rowsWritten.merge(t, tableRows.size(), Integer::sum);
        });
    }

    private static List<Map<String, String>> view(String rowFilter, String param) {
        return chdb.query(ChDb.bind(StateQueries.viewQuery(table(StateRows.STATE), rowFilter), List.of(param))).maps();
    }

    private static String table(String name) {
        return DB + "." + name;
    }

    /**
     * The rows of one page and its incident's life, one write per request as the bundle makes them: the outbound flow
     * (AnomalyService, OutboxSettlement) and the webhooks (WebhookHandler, each with its delivery record).
     */
    private static void writeWhatTheBundleWrites() {
        // pages for a-1 and a-3 are queued and sent, a-2 only queued; a-3 never joins an incident
        write(List.of(outbound("a-1", "queued", 0, "queued").set("service", "payment-api").set("environment", "prod")
                        .set("metric", "p99_latency_ms").set("severity", "critical").set("score", 0.93)
                        .set("root_cause", "connection pool exhausted").set("dedup_key", Anomaly.dedupKeyOf("a-1"))
                        .set("teams", "payments").build(),
                StateRows.audit(T0, "accepted-a-1", "a-1", "page_queued", "infrasage", "InfraSage", "bundle")
                        .set("detail", "severity critical, teams payments").build()));
        write(List.of(outbound("a-1", "trigger-sent-1", 1, "sent").build(),
                StateRows.audit(T0.plusSeconds(1), "outbox-1-delivered", "a-1", "trigger_delivered", "infrasage", "InfraSage",
                        "bundle").build()));
        write(List.of(outbound("a-2", "queued", 0, "queued").set("service", "payment-db").set("severity", "warning")
                .set("score", 0.7).set("dedup_key", Anomaly.dedupKeyOf("a-2")).build()));
        write(List.of(outbound("a-3", "queued", 0, "queued").set("service", "search").set("severity", "info").set("score", 0.5)
                .build(), outbound("a-3", "trigger-sent-2", 1, "sent").build()));
        // a page that carried a past resolution records it with its state rows
        write(PageMemoryRows.carried("a-3", "search", 1, List.of(new PastResolution("a-0", "P0", "search", null, "", "note",
                "Ann O'Neil", T0, null, 1)), T0));

        // PagerDuty grouped a-1 and a-2 into one incident
        webhook("evt-trigger", "incident.triggered", 2, List.of(
                incidentState("a-1", "evt-trigger", 2, "triggered").set("assignees", "Ann O'Neil").build(),
                incidentState("a-2", "evt-trigger", 2, "triggered").set("assignees", "Ann O'Neil").build()));
        webhook("evt-ack", "incident.acknowledged", 3, List.of(
                incidentState("a-1", "evt-ack", 3, "acknowledged").set("acknowledged_by", "Ann O'Neil")
                        .set("acknowledged_by_id", "PUSER1").build(),
                webhookAudit("evt-ack", "a-1", 3, "acknowledged", "Ann O'Neil").build()));
        webhook("evt-note-2", "incident.annotated", 1, List.of(note("note-2", "a-1", 1, "First look: DB CPU at 100%", "Bob")));
        webhook("evt-note-1", "incident.annotated", 4, List.of(note("note-1", "a-1", 4, AWKWARD, "Ann O'Neil"),
                webhookAudit("evt-note-1", "a-1", 4, "annotated", "Ann O'Neil").set("detail", AWKWARD).build()));
        // PagerDuty delivers at least once: the same note again, in a request of its own
        write(List.of(note("note-1", "a-1", 4, AWKWARD, "Ann O'Neil")));
        webhook("evt-resolve", "incident.resolved", 5, List.of(
                incidentState("a-1", "evt-resolve", 5, "resolved").set("resolved_by", "Ann O'Neil")
                        .set("resolved_by_kind", "engineer").build(),
                memory("a-1", 5, 1, "Ann O'Neil: " + AWKWARD)));
        webhook("evt-reassign", "incident.reassigned", 6, List.of(
                incidentState("a-1", "evt-reassign", 6, null).set("assignees", "Bob \\ Builder, Zoë").build()));
        // a note after the resolve rewrites the incident memory with a newer version
        write(List.of(memory("a-1", 7, 2, "Bob: First look: DB CPU at 100%\n---\nAnn O'Neil: " + AWKWARD)));
    }

    private static Row.Builder outbound(String anomalyId, String changeId, int second, String status) {
        Instant at = T0.plusSeconds(second);
        return StateRows.state(anomalyId, changeId, StateRows.versionAt(at), at, status);
    }

    /** As WebhookHandler.state(): the change row of an incident event. */
    private static Row.Builder incidentState(String anomalyId, String eventId, int second, String status) {
        Instant at = T0.plusSeconds(second);
        return StateRows.state(anomalyId, eventId, StateRows.versionAt(at), at, status).set("dedup_key", Anomaly.dedupKeyOf(anomalyId))
                .set("incident_id", INCIDENT).set("incident_url", "https://acme.pagerduty.com/incidents/" + INCIDENT)
                .set("incident_number", 4711L);
    }

    private static Row.Builder webhookAudit(String eventId, String anomalyId, int second, String action, String actor) {
        return StateRows.audit(T0.plusSeconds(second), eventId + "/" + anomalyId, anomalyId, action, "engineer", actor, "webhook")
                .set("incident_id", INCIDENT).set("event_type", "incident." + action).set("actor_id", "PUSER1");
    }

    private static Row note(String noteId, String anomalyId, int second, String content, String author) {
        Instant at = T0.plusSeconds(second);
        return Row.into(StateRows.NOTES).set("incident_id", INCIDENT).set("note_id", noteId).set("anomaly_id", anomalyId)
                .set("content", content).set("trimmed", 0).set("author_id", "PUSER1").set("author", author)
                .set("created_at", at).set("version", StateRows.versionAt(at)).build();
    }

    private static Row memory(String anomalyId, int second, int noteCount, String notes) {
        return Row.into(StateRows.MEMORY).set("anomaly_id", anomalyId).set("incident_id", INCIDENT)
                .set("version", StateRows.versionAt(T0.plusSeconds(second))).set("service", "payment-api")
                .set("root_cause", "connection pool exhausted").set("notes", notes).set("note_count", noteCount)
                .set("resolved_by", "Ann O'Neil").set("resolved_at", T0.plusSeconds(5)).set("written_at", Instant.now()).build();
    }

    /** One webhook request: its rows and its delivery record, written together (WebhookHandler.persist). */
    private static void webhook(String eventId, String type, int second, List<Row> rows) {
        List<Row> all = new ArrayList<>(rows);
        all.add(Row.into(StateRows.DELIVERIES).set("event_id", eventId).set("webhook_id", "WH1").set("event_type", type)
                .set("incident_id", INCIDENT).set("outcome", type.substring(type.indexOf('.') + 1))
                .set("received_at", T0.plusSeconds(second)).build());
        write(all);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
