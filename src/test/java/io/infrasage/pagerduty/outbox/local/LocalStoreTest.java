package io.infrasage.pagerduty.outbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.outbox.AcceptOutcome;
import io.infrasage.pagerduty.outbox.AcceptRequest;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import io.infrasage.pagerduty.outbox.NewAnomaly;
import io.infrasage.pagerduty.outbox.NewEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded adapter on a real SQLite file, beyond the records' contract (SqliteAnomalyRecordsTest): what a batch
 * costs, files of older releases, heads in flight.
 */
class LocalStoreTest {

    static final RoutingTarget TEAM = new RoutingTarget("payments", "R".repeat(32));

    @TempDir
    Path dir;

    static List<NewEvent> trigger() {
        return List.of(new NewEvent(TEAM.routingKey(), TEAM.team(), "trigger", "{}"));
    }

    static AcceptRequest paging(String id) {
        return AcceptRequest.paging(new NewAnomaly(id, "infrasage-" + id, "payment-api", List.of(), List.of(TEAM), "critical"),
                trigger(), List.of());
    }

    @Test
    void aBatchIsAcceptedWithOneCommitAndItsRepeatsAreAnsweredWithTheirRecords() {
        try (LocalStore store = new LocalStore(dir)) {
            store.records().accept(paging("resolved-before"));
            store.records().resolve("resolved-before", "restart-pods", List.of(), List.of());
            List<AcceptRequest> batch = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                batch.add(paging("batch-" + i));
            }
            batch.add(paging("batch-7"));
            batch.add(paging("resolved-before"));
            List<Row> suppressed = List.of(new Row("anomaly_state", Map.of("anomaly_id", "low-score")));

            long before = store.commits();
            List<AcceptOutcome> outcomes = store.records().acceptAll(batch, suppressed);

            assertThat(store.commits() - before).as("commits (fsyncs) for a batch of %d", batch.size()).isEqualTo(1);
            assertThat(outcomes).hasSize(52);
            assertThat(outcomes.subList(0, 50)).allSatisfy(o -> assertThat(o.accepted().orElseThrow().queued()).hasSize(1));
            assertThat(outcomes.get(50).known().orElseThrow().resolved()).as("batch-7 given twice").isFalse();
            assertThat(outcomes.get(51).known().orElseThrow().resolved()).isTrue();
            assertThat(store.outbox().depth()).as("the 50 triggers and the earlier one").isEqualTo(51);
            assertThat(store.spool().depth()).isEqualTo(1);
        }
    }

    @Test
    void aFileWrittenByTheFirstReleaseOpensAndKeepsItsAnomalies() throws Exception {
        Files.createDirectories(dir);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("bundle.db")); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE anomalies (anomaly_id TEXT PRIMARY KEY, dedup_key TEXT NOT NULL, targets TEXT NOT NULL,"
                    + " severity TEXT, status TEXT NOT NULL, created_at INTEGER NOT NULL, resolved_at INTEGER, resolved_by TEXT)");
            s.execute("INSERT INTO anomalies VALUES ('old', 'infrasage-old', '[{\"team\":\"payments\",\"routing_key\":\"k\"}]',"
                    + " 'critical', 'resolved', 1, 2, 'restart-pods')");
        }
        try (LocalStore store = new LocalStore(dir)) {
            AnomalyRecord old = store.records().find("old").orElseThrow();
            assertThat(old.resolved()).isTrue();
            assertThat(old.resolvedBy()).isEqualTo("restart-pods");
            assertThat(old.resolvedByKind()).isNull();
            assertThat(old.targets()).containsExactly(new RoutingTarget("payments", "k"));
        }
    }

    @Test
    void anOutboxOfSchemaVersion1KeepsItsEventsAndTakesTheTraceOfNewOnes() throws Exception {
        Files.createDirectories(dir);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("bundle.db")); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, anomaly_id TEXT NOT NULL,"
                    + " dedup_key TEXT NOT NULL, routing_key TEXT NOT NULL, team TEXT NOT NULL, action TEXT NOT NULL,"
                    + " body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,"
                    + " created_at INTEGER NOT NULL, last_error TEXT)");
            s.execute("INSERT INTO outbox (anomaly_id, dedup_key, routing_key, team, action, body, next_attempt_at, created_at)"
                    + " VALUES ('old', 'infrasage-old', '" + TEAM.routingKey() + "', 'payments', 'trigger', '{}', 5, 1)");
            s.execute("PRAGMA user_version = 1");
        }
        String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        try (LocalStore store = new LocalStore(dir)) {
            store.records().accept(AcceptRequest.paging(new NewAnomaly("new", "infrasage-new", "payment-api", List.of(),
                    List.of(TEAM), "critical"), List.of(new NewEvent(TEAM.routingKey(), TEAM.team(), "trigger", "{}", traceparent)),
                    List.of()));
            var heads = store.outbox().dueHeads(TEAM.routingKey(), Long.MAX_VALUE, 10);
            assertThat(heads).extracting(e -> e.anomalyId() + " " + e.traceparent()).containsExactly("old null", "new " + traceparent);
        }
    }

    @Test
    void aHeadBeingSentStaysAHeadAndIsReadAfreshOnceRescheduled() {
        try (LocalStore store = new LocalStore(dir)) {
            store.records().accept(paging("a-1"));
            var head = store.outbox().dueHeads(TEAM.routingKey(), Long.MAX_VALUE, 10).get(0);
            store.outbox().sending(head);

            // still its queue's head while in flight (the dispatcher skips it), as it was handed out
            assertThat(store.outbox().dueHeads(TEAM.routingKey(), Long.MAX_VALUE, 10)).containsExactly(head);

            store.outbox().retryLater(head, 0, "HTTP 503");
            var again = store.outbox().dueHeads(TEAM.routingKey(), Long.MAX_VALUE, 10);
            assertThat(again).extracting(e -> e.seq(), e -> e.attempts(), e -> e.body())
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(head.seq(), 1, head.body()));

            store.outbox().sending(again.get(0));
            store.outbox().complete(again.get(0), List.of());
            assertThat(store.outbox().dueHeads(TEAM.routingKey(), Long.MAX_VALUE, 10)).isEmpty();
        }
    }
}
