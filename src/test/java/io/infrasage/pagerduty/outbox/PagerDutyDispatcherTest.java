package io.infrasage.pagerduty.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import io.infrasage.pagerduty.clickhouse.StateRows;
import org.junit.jupiter.api.Test;

class PagerDutyDispatcherTest {

    @Test
    void aDeliveryOutcomeRanksAfterItsQueuedRowAndBeforeAnythingPagerDutyReportsLater() {
        // in the order the bundle takes them: the queued row's version at accept, then the outbox stamps the event
        long queuedVersion = StateRows.nextVersion();
        long acceptedAt = System.currentTimeMillis();
        OutboxEvent e = new OutboxEvent(7, "a", "infrasage-a", "k".repeat(32), "team", "trigger", "{}", 0, acceptedAt, acceptedAt, null);

        long sent = PagerDutyDispatcher.outcomeVersion(e);

        assertThat(sent).isGreaterThan(queuedVersion);
        // PagerDuty acknowledges one millisecond after our accept: its row must win over our 'sent', whenever we record it
        assertThat(StateRows.versionAt(Instant.ofEpochMilli(acceptedAt + 1))).isGreaterThan(sent);
    }
}
