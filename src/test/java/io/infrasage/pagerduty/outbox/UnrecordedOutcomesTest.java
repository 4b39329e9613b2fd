package io.infrasage.pagerduty.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** What the dispatcher keeps of PagerDuty's answers that the outbox could not write. */
class UnrecordedOutcomesTest {

    @Test
    void aDeliveredEventIsNotSentAgainItsOutcomeIsRecordedOnceTheOutboxWrites() {
        UnrecordedOutcomes outcomes = new UnrecordedOutcomes();
        long now = 1_000_000;

        long due = outcomes.failed(7, new DeliveryPolicy.Delivered(), now);

        assertThat(due).isEqualTo(now + UnrecordedOutcomes.RECORD_AGAIN_MILLIS);
        assertThat(outcomes.waiting(7, now)).isTrue();
        assertThat(outcomes.waiting(7, due)).isFalse();
        assertThat(outcomes.known(7)).contains(new DeliveryPolicy.Delivered());
        outcomes.postpone(7, due);
        assertThat(outcomes.waiting(7, due)).as("the outbox still takes no writes").isTrue();
        outcomes.recorded(7);
        assertThat(outcomes.known(7)).isEmpty();
        assertThat(outcomes.waiting(7, due)).isFalse();
    }

    @Test
    void aRetryIsSentAgainWhenDueAndItsUnrecordedAttemptsStillCountForTheBackoff() {
        UnrecordedOutcomes outcomes = new UnrecordedOutcomes();
        long now = 1_000_000;

        long due = outcomes.failed(7, new DeliveryPolicy.Retry(Duration.ofSeconds(4), "PagerDuty answered 503"), now);
        outcomes.failed(7, new DeliveryPolicy.Retry(Duration.ofSeconds(8), "PagerDuty answered 503"), due);

        assertThat(due).isEqualTo(now + 4000);
        assertThat(outcomes.known(7)).as("sent again, not recorded").isEmpty();
        assertThat(outcomes.attempts(7)).isEqualTo(2);
        assertThat(outcomes.attempts(8)).isZero();
    }

    @Test
    void anEntryNotSeenForTenMinutesIsForgotten() {
        UnrecordedOutcomes outcomes = new UnrecordedOutcomes();
        long now = 1_000_000;
        outcomes.failed(7, new DeliveryPolicy.Delivered(), now);
        outcomes.failed(8, new DeliveryPolicy.Delivered(), now);

        long later = now + UnrecordedOutcomes.FORGET_MILLIS;
        outcomes.postpone(8, later); // still a head of its queue
        outcomes.prune(later + UnrecordedOutcomes.RECORD_AGAIN_MILLIS + 1);

        assertThat(outcomes.known(7)).isEmpty();
        assertThat(outcomes.known(8)).isPresent();
        assertThat(outcomes.size()).isEqualTo(1);
    }
}
