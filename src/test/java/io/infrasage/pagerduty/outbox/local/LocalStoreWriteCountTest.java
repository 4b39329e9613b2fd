package io.infrasage.pagerduty.outbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import io.infrasage.pagerduty.clickhouse.StateRows;
import io.infrasage.pagerduty.outbox.AcceptRequest;
import io.infrasage.pagerduty.outbox.NewAnomaly;
import io.infrasage.pagerduty.outbox.OutboxEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one page costs the local file from accept to delivery, in rows and commits (each commit one fsync of the WAL):
 * written down so a change that adds a write per anomaly shows here, not first in the benchmark.
 */
class LocalStoreWriteCountTest {

    @TempDir
    Path dir;

    @Test
    void onePageToOneTeamChangesElevenRowsInThreeCommitsWhenNoOtherWriteSharesThem() {
        try (LocalStore store = new LocalStore(dir)) {
            long rows0 = store.rowsChanged();
            long commits0 = store.commits();
            Instant now = Instant.now();

            // accept: the anomaly, its trigger, and its queued state and audit rows for ClickHouse
            store.records().accept(AcceptRequest.paging(new NewAnomaly("a-1", "infrasage-a-1", "payment-api", List.of(),
                    List.of(LocalStoreTest.TEAM), "critical"), LocalStoreTest.trigger(), List.of(StateRows.state("a-1", "queued", StateRows.nextVersion(), now, "queued").build(),
                            StateRows.audit(now, "accepted-a-1", "a-1", "page_queued", "infrasage", "InfraSage", "bundle").build())));
            assertThat(store.rowsChanged() - rows0).isEqualTo(4);

            // delivery: the event leaves the outbox, its sent state and delivered audit rows are spooled
            OutboxEvent head = store.outbox().dueHeads(LocalStoreTest.TEAM.routingKey(), System.currentTimeMillis() + 1, 10).get(0);
            store.outbox().complete(head, List.of(StateRows.state("a-1", "trigger-sent-" + head.seq(), StateRows.nextVersion(), now, "sent").build(),
                    StateRows.audit(now, "outbox-" + head.seq() + "-delivered", "a-1", "trigger_delivered", "infrasage", "InfraSage", "bundle").build()));
            assertThat(store.rowsChanged() - rows0).isEqualTo(7);

            // the ClickHouse spool reads the four rows back and, once ClickHouse has them, deletes them
            List<io.infrasage.pagerduty.outbox.RowSpool.Spooled> spooled = store.spool().spooled(100);
            assertThat(spooled).extracting(r -> r.row().table()).containsExactly(StateRows.STATE, StateRows.AUDIT, StateRows.STATE, StateRows.AUDIT);
            store.spool().unspool(spooled.get(spooled.size() - 1).seq());

            assertThat(store.rowsChanged() - rows0).isEqualTo(11);
            assertThat(store.commits() - commits0).isEqualTo(3);
            assertThat(store.spool().depth()).isZero();
            assertThat(store.outbox().depth()).isZero();
        }
    }
}
