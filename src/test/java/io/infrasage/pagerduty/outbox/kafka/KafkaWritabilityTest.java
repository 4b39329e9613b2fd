package io.infrasage.pagerduty.outbox.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.infrasage.pagerduty.DependencyState;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.Test;

/**
 * Which calls may wait for Kafka, from what the last acknowledgements said (no broker needed for the rules;
 * KafkaWritabilityIT and BrokerOutageIT stop a real one).
 */
class KafkaWritabilityTest {

    static final Duration BOUND = Duration.ofSeconds(5);

    final DependencyState state = new DependencyState("Kafka", "test");
    final KafkaWritability writability = new KafkaWritability(null, List.of("t"), state, 3);

    static CompletableFuture<RecordMetadata> acked() {
        return CompletableFuture.completedFuture(new RecordMetadata(new TopicPartition("t", 0), 0, 0, 0, 0, 0));
    }

    static CompletableFuture<RecordMetadata> failed(Exception e) {
        return CompletableFuture.failedFuture(e);
    }

    @Test
    void whileKafkaTakesNoWritesOneCallAtATimeTriesItAndTheOthersAreRefusedAtOnce() {
        assertThatThrownBy(() -> writability.acked(failed(new NotEnoughReplicasException("1 in sync, 2 needed")), Deadline.in(BOUND)))
                .isInstanceOf(KafkaUnavailableException.class).hasMessageContaining("Kafka");
        assertThat(state.isUp()).isFalse();

        KafkaWritability.Pass trying = writability.admit();
        assertThatThrownBy(writability::admit).isInstanceOf(KafkaUnavailableException.class)
                .hasMessageContaining("Kafka cannot take writes now").hasMessageContaining("1 in sync, 2 needed");
        trying.close();

        // the next call tries, and its acknowledgement lets every call in again
        try (KafkaWritability.Pass next = writability.admit()) {
            writability.acked(acked(), Deadline.in(BOUND));
        }
        assertThat(state.isUp()).isTrue();
        try (KafkaWritability.Pass one = writability.admit(); KafkaWritability.Pass two = writability.admit()) {
            assertThat(List.of(one, two)).doesNotContainNull();
        }
    }

    @Test
    void aRecordKafkaRefusesForItselfDoesNotStopTheOthers() {
        assertThatThrownBy(() -> writability.acked(failed(new RecordTooLargeException("too large")), Deadline.in(BOUND)))
                .isInstanceOf(KafkaUnavailableException.class);

        assertThat(state.isUp()).isTrue();
        writability.admit().close();
    }

    @Test
    void aWaitThatRunsOutMarksKafkaUnwritableWithinTheDeadline() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> writability.acked(new CompletableFuture<>(), Deadline.in(Duration.ofMillis(200))))
                .isInstanceOf(KafkaUnavailableException.class).hasMessage("Kafka did not take the write within 200 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        assertThat(state.isUp()).isFalse();
    }

    @Test
    void callsBeyondTheWaitingLimitAreRefusedAtOnceSoTheyHoldNoRequestThread() {
        KafkaWritability.Pass[] waiting = {writability.admit(), writability.admit(), writability.admit()};

        assertThatThrownBy(writability::admit).isInstanceOf(KafkaUnavailableException.class)
                .hasMessageContaining("3 requests wait for it already");
        waiting[0].close();
        writability.admit().close();
        waiting[1].close();
        waiting[2].close();
    }

    @Test
    void aSendDoesNotStartWhenItsLongestBlockWouldEndPastTheDeadline() {
        Deadline deadline = new Deadline(System.nanoTime() + KafkaClients.maxBlock(BOUND).toNanos() - 1_000_000, BOUND);

        assertThatThrownBy(deadline::beforeSend).isInstanceOf(KafkaUnavailableException.class)
                .hasMessage("Kafka did not take the write within 5 s");
        Deadline.in(BOUND).beforeSend();
    }
}
