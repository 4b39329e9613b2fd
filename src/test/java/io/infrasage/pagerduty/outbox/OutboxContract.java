package io.infrasage.pagerduty.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import io.infrasage.pagerduty.anomaly.RoutingTarget;
import org.junit.jupiter.api.Test;

/**
 * What every adapter promises through the {@link Outbox} port, which the outbox consumer relies on for order, pace and
 * retries; run against each on its real store (the local SQLite file, and Kafka on a real broker). Events are queued
 * through the adapter's {@link AnomalyRecords}; routing keys are new in each test, so an adapter may keep one store
 * for all of them.
 */
public abstract class OutboxContract {

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final RoutingTarget team = new RoutingTarget("payments", ("key-" + run + "-").repeat(3).substring(0, 32));

    protected abstract AnomalyRecords records();

    protected abstract Outbox outbox();

    /** Closes the store and opens it again on the same data, as a restarted instance would. */
    protected abstract void reopen();

    private NewEvent event(String action) {
        return new NewEvent(team.routingKey(), team.team(), action, "{\"action\":\"" + action + "\"}");
    }

    /** A trigger, then the anomaly's acknowledge queued behind it. */
    private void triggerAndAcknowledge(String id) {
        records().accept(AcceptRequest.paging(new NewAnomaly(id, "infrasage-" + id, "payment-api", List.of(), List.of(team),
                "critical"), List.of(event("trigger")), List.of()));
        assertThat(records().follow(id, true, List.of(event("acknowledge")), List.of())).isPresent();
    }

    private List<OutboxEvent> heads(long nowMillis) {
        return outbox().dueHeads(team.routingKey(), nowMillis, 100);
    }

    /** The heads once the adapter holds this many (it may take a moment to read what is durably queued). */
    private List<OutboxEvent> awaitHeads(int count) {
        await().atMost(Duration.ofSeconds(30)).until(() -> heads(Long.MAX_VALUE).size() == count);
        return heads(Long.MAX_VALUE);
    }

    @Test
    void onlyTheOldestEventOfEachDedupKeyIsAHeadAndTheNextOneIsOnceItIsComplete() {
        triggerAndAcknowledge("first-" + run);
        triggerAndAcknowledge("second-" + run);
        await().atMost(Duration.ofSeconds(30)).until(() -> outbox().dueKeys().active().containsKey(team.routingKey()));

        List<OutboxEvent> heads = awaitHeads(2);
        assertThat(heads).extracting(OutboxEvent::anomalyId, OutboxEvent::action, OutboxEvent::attempts).containsExactly(
                tuple("first-" + run, "trigger", 0), tuple("second-" + run, "trigger", 0));
        assertThat(heads.get(0).seq()).isLessThan(heads.get(1).seq());
        assertThat(outbox().dueHeads(team.routingKey(), Long.MAX_VALUE, 1)).as("the limit").hasSize(1);

        outbox().sending(heads.get(0));
        assertThat(heads(Long.MAX_VALUE)).as("a head being sent stays its queue's head").containsExactlyElementsOf(heads);
        long version = outbox().dueKeys().active().getOrDefault(team.routingKey(), 0L);
        outbox().complete(heads.get(0), List.of());

        await().atMost(Duration.ofSeconds(30)).until(() -> heads(Long.MAX_VALUE).stream().anyMatch(e -> e.action().equals("acknowledge")));
        assertThat(heads(Long.MAX_VALUE)).extracting(OutboxEvent::anomalyId, OutboxEvent::action).containsExactlyInAnyOrder(
                tuple("first-" + run, "acknowledge"), tuple("second-" + run, "trigger"));
        assertThat(outbox().dueKeys().active().get(team.routingKey())).as("the key is due again, at a new version").isNotEqualTo(version);
    }

    @Test
    void aRescheduledEventHoldsItsQueueUntilItIsDueAndCountsTheAttempt() {
        triggerAndAcknowledge("retried-" + run);
        OutboxEvent head = awaitHeads(1).get(0);
        long dueAt = System.currentTimeMillis() + 60_000;

        outbox().sending(head);
        outbox().retryLater(head, dueAt, "HTTP 503");

        assertThat(heads(dueAt - 1)).as("neither the event nor the acknowledge behind it").isEmpty();
        assertThat(heads(dueAt)).extracting(OutboxEvent::seq, OutboxEvent::action, OutboxEvent::attempts, OutboxEvent::body)
                .containsExactly(tuple(head.seq(), "trigger", 1, head.body()));
    }

    @Test
    void aKeyMarkedDrainedAtAnOlderVersionStaysDue() {
        triggerAndAcknowledge("drained-" + run);
        awaitHeads(1);
        long version = outbox().dueKeys().active().get(team.routingKey());
        outbox().dueKeys().activate(team.routingKey());

        outbox().dueKeys().drained(team.routingKey(), version);
        assertThat(outbox().dueKeys().active()).containsKey(team.routingKey());

        outbox().dueKeys().drained(team.routingKey(), outbox().dueKeys().active().get(team.routingKey()));
        assertThat(outbox().dueKeys().active()).doesNotContainKey(team.routingKey());
        outbox().dueKeys().activateAll();
        assertThat(outbox().dueKeys().active()).as("every known key, once a second").containsKey(team.routingKey());
    }

    /**
     * An event completed before a restart may come back once (Kafka re-reads above its last commit: at least once, and
     * PagerDuty's dedup key makes the re-send harmless), but never behind an event that was queued after it.
     */
    @Test
    void whatIsQueuedSurvivesARestartInOrder() {
        long before = outbox().depth();
        long startedAt = System.currentTimeMillis();
        triggerAndAcknowledge("kept-" + run);
        outbox().complete(awaitHeads(1).get(0), List.of());
        await().atMost(Duration.ofSeconds(30)).until(() -> outbox().depth() == before + 1);
        assertThat(outbox().oldestQueuedAt()).hasValueSatisfying(t -> assertThat(t).isLessThanOrEqualTo(System.currentTimeMillis()));

        reopen();

        OutboxEvent head = awaitHeads(1).get(0);
        assertThat(outbox().dueKeys().active()).as("what was queued before the restart is due").containsKey(team.routingKey());
        if (head.action().equals("trigger")) {
            long again = head.seq();
            outbox().complete(head, List.of());
            await().atMost(Duration.ofSeconds(30)).until(() -> heads(Long.MAX_VALUE).stream().noneMatch(e -> e.seq() == again));
            head = awaitHeads(1).get(0);
        }
        assertThat(head.anomalyId()).isEqualTo("kept-" + run);
        assertThat(head.action()).isEqualTo("acknowledge");
        assertThat(head.createdAtMillis()).isGreaterThanOrEqualTo(startedAt);
    }
}
