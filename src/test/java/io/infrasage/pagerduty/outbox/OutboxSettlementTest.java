package io.infrasage.pagerduty.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.clickhouse.StateRows;
import io.infrasage.pagerduty.outbox.local.LocalStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How an attempt's outcome is written to the outbox (a real SQLite file), and the version its state row gets. */
class OutboxSettlementTest {

    static final String KEY = "S".repeat(32);

    @TempDir
    Path dir;

    @Test
    void aDeliveryOutcomeRanksAfterItsQueuedRowAndBeforeAnythingPagerDutyReportsLater() {
        // in the order the bundle takes them: the queued row's version at accept, then the outbox stamps the event
        long queuedVersion = StateRows.nextVersion();
        long acceptedAt = System.currentTimeMillis();
        OutboxEvent e = new OutboxEvent(7, "a", "infrasage-a", "k".repeat(32), "team", "trigger", "{}", 0, acceptedAt, null);

        long sent = OutboxSettlement.outcomeVersion(e);

        assertThat(sent).isGreaterThan(queuedVersion);
        // PagerDuty acknowledges one millisecond after our accept: its row must win over our 'sent', whenever we record it
        assertThat(StateRows.versionAt(Instant.ofEpochMilli(acceptedAt + 1))).isGreaterThan(sent);
    }

    private static OutboxEvent queue(LocalStore store, String id) {
        store.records().accept(AcceptRequest.paging(new NewAnomaly(id, "infrasage-" + id, "payment-api", List.of(),
                List.of(new io.infrasage.pagerduty.anomaly.RoutingTarget("payments", KEY)), "critical"),
                List.of(new NewEvent(KEY, "payments", "trigger", "{}")), List.of()));
        return store.outbox().dueHeads(KEY, Long.MAX_VALUE, 100).stream().filter(e -> e.anomalyId().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void aRetryIsRescheduledWithItsAttemptCountedAndDeliveredOrRefusedEventsLeaveTheOutbox() {
        try (LocalStore store = new LocalStore(dir)) {
            Deliveries deliveries = new Deliveries();
            OutboxSettlement settlement = new OutboxSettlement(store.outbox(), new BundleMetrics(), deliveries);
            List<String> refusedTriggers = new ArrayList<>();
            settlement.whenTriggerRefused(refusedTriggers::add);
            OutboxEvent retried = queue(store, "retried");
            OutboxEvent delivered = queue(store, "delivered");
            OutboxEvent refused = queue(store, "refused");
            var deliveredWaiter = deliveries.delivery(delivered.seq());
            var refusedWaiter = deliveries.delivery(refused.seq());

            long before = System.currentTimeMillis();
            long dueAt = settlement.settle(retried, new DeliveryPolicy.Retry(Duration.ofSeconds(30), "HTTP 503"));
            assertThat(settlement.settle(delivered, new DeliveryPolicy.Delivered())).isEqualTo(-1);
            assertThat(settlement.settle(refused, new DeliveryPolicy.Rejected("invalid"))).isEqualTo(-1);

            assertThat(dueAt).isBetween(before + 30_000, System.currentTimeMillis() + 30_000);
            assertThat(store.outbox().dueHeads(KEY, System.currentTimeMillis(), 100)).isEmpty();
            OutboxEvent again = store.outbox().dueHeads(KEY, dueAt, 100).get(0);
            assertThat(again.seq()).isEqualTo(retried.seq());
            assertThat(settlement.attemptsBefore(again)).isEqualTo(1);
            assertThat(store.outbox().depth()).isEqualTo(1);
            assertThat(deliveredWaiter).isCompletedWithValue(true);
            assertThat(refusedWaiter).isCompletedWithValue(false);
            assertThat(refusedTriggers).containsExactly("refused");
        }
    }
}
