package io.infrasage.pagerduty.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class StateRowMergeTest {

    static final Instant T0 = Instant.parse("2026-12-01T09:00:00Z");

    static Row queued(String id, long version) {
        return StateRows.state(id, "queued", version, T0, "queued").set("service", "payment-api").set("severity", "critical")
                .set("teams", "payments").build();
    }

    static Row outcome(String id, String changeId, long version, String status) {
        return StateRows.state(id, changeId, version, T0.plusMillis(5), status).build();
    }

    static Row audit(String id, String entry) {
        return StateRows.audit(T0, entry, id, "page_queued", "infrasage", "InfraSage", "bundle").build();
    }

    @Test
    void aPageDeliveredBeforeItsQueuedRowWasWrittenNeedsOneStateRow() {
        List<Row> rows = StateRowMerge.merged(List.of(queued("a-1", 100), audit("a-1", "accepted-a-1"),
                outcome("a-1", "trigger-sent-7", 200, "sent"), audit("a-1", "outbox-7-delivered")));

        assertThat(rows).hasSize(3);
        assertThat(rows.get(0).table()).isEqualTo(StateRows.AUDIT);
        Row state = rows.get(1);
        assertThat(state.values()).containsEntry("change_id", "trigger-sent-7").containsEntry("version", 200L)
                .containsEntry("status", "sent").containsEntry("changed_at", T0.plusMillis(5).toString())
                .containsEntry("service", "payment-api").containsEntry("severity", "critical").containsEntry("teams", "payments");
    }

    @Test
    void aRefusedTriggerKeepsItsReasonAndTheQueuedDetails() {
        Row failed = StateRows.state("a-1", "trigger-failed-7", 200, T0, "failed").set("detail", "invalid routing key").build();
        List<Row> rows = StateRowMerge.merged(List.of(queued("a-1", 100), failed));

        assertThat(rows).singleElement().satisfies(r -> assertThat(r.values()).containsEntry("status", "failed")
                .containsEntry("detail", "invalid routing key").containsEntry("service", "payment-api"));
    }

    @Test
    void rowsThatDoNotFollowEachOtherDirectlyAreKept() {
        Row resolved = StateRows.state("a-1", "resolve-requested", 150, T0, "resolved").build();
        List<Row> between = List.of(queued("a-1", 100), resolved, outcome("a-1", "trigger-sent-7", 200, "sent"));
        assertThat(StateRowMerge.merged(between)).isEqualTo(between);

        List<Row> otherAnomaly = List.of(queued("a-1", 100), outcome("a-2", "trigger-sent-8", 200, "sent"));
        assertThat(StateRowMerge.merged(otherAnomaly)).isEqualTo(otherAnomaly);

        List<Row> olderOutcome = List.of(queued("a-1", 300), outcome("a-1", "trigger-sent-7", 200, "sent"));
        assertThat(StateRowMerge.merged(olderOutcome)).isEqualTo(olderOutcome);

        List<Row> outcomeFirst = List.of(outcome("a-1", "trigger-sent-7", 200, "sent"), queued("a-1", 300));
        assertThat(StateRowMerge.merged(outcomeFirst)).isEqualTo(outcomeFirst);
    }

    @Test
    void aPageToTwoTeamsFoldsItsQueuedRowIntoTheFirstOutcomeOnly() {
        List<Row> rows = StateRowMerge.merged(List.of(queued("a-1", 100), outcome("a-1", "trigger-sent-7", 200, "sent"),
                outcome("a-1", "trigger-sent-8", 200, "sent")));

        assertThat(rows).extracting(r -> r.values().get("change_id")).containsExactly("trigger-sent-7", "trigger-sent-8");
        assertThat(rows.get(0).values()).containsEntry("service", "payment-api");
        assertThat(rows.get(1).values()).doesNotContainKey("service");
    }
}
