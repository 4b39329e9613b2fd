package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.inhibition.InhibitionRule;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * How an instance's copy of the anomalies topic answers, fed the facts in any partition order (no broker needed;
 * KafkaAnomalyRecordsIT runs the records' contract, symptom inhibition included, against one).
 */
class AnomalyRecordViewTest {

    static final String KEY = "P".repeat(32);
    static final String OTHER_KEY = "Q".repeat(32);

    static AnomalyRecordView view() {
        return new AnomalyRecordView("t", null, Duration.ofSeconds(1));
    }

    static String accepted(String... keys) {
        return AnomalyFacts.write(new AnomalyFacts.Accepted("infrasage-a1",
                java.util.Arrays.stream(keys).map(k -> new RoutingTarget("team", k)).toList(), "critical", 1));
    }

    /**
     * Found by the Kafka benchmark: the instance that had just created the topics read metadata listing no partition
     * yet, assigned itself nothing, and answered every later resolve sent to it 404.
     */
    @Test
    void aCopyStartedBeforeKafkaListsTheNewTopicsPartitionsWaitsForThemInsteadOfReadingNothing() throws Exception {
        MockConsumer<String, String> consumer = new MockConsumer<>(OffsetResetStrategy.EARLIEST);
        TopicPartition p0 = new TopicPartition("t", 0);
        TopicPartition p1 = new TopicPartition("t", 1);
        consumer.updateBeginningOffsets(Map.of(p0, 0L, p1, 0L));
        Node broker = new Node(1, "127.0.0.1", 9092);
        // the topic's partitions show up in the metadata a moment after start
        CompletableFuture.runAsync(() -> consumer.updatePartitions("t", List.of(
                new PartitionInfo("t", 0, broker, new Node[] {broker}, new Node[] {broker}),
                new PartitionInfo("t", 1, broker, new Node[] {broker}, new Node[] {broker}))),
                CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
        AnomalyRecordView view = new AnomalyRecordView("t", null, Duration.ofSeconds(1));
        DefaultCamelContext camel = new DefaultCamelContext();
        try {
            view.start(consumer, camel.getExecutorServiceManager());
            assertThat(consumer.assignment()).containsExactlyInAnyOrder(p0, p1);
        } finally {
            view.close();
            camel.close();
        }
    }

    @Test
    void theFirstResolutionWinsSoPagerDutysEchoOfOurResolveDoesNotRenameIt() {
        AnomalyRecordView view = view();
        view.apply("a/a1", accepted(KEY));
        view.apply("r/a1", AnomalyFacts.write(new AnomalyFacts.Resolution("restart-pods", "runbook", 2)));
        view.apply("r/a1", AnomalyFacts.write(new AnomalyFacts.Resolution("PagerDuty", "pagerduty", 3)));

        AnomalyRecord record = view.find("a1").orElseThrow();
        assertThat(record.resolved()).isTrue();
        assertThat(record.runbook()).contains("restart-pods");
        assertThat(record.targets()).containsExactly(new RoutingTarget("team", KEY));
    }

    @Test
    void aTriggerIsObsoleteOnceItsResolveReachedThatKeyButNotForAnotherKey() {
        AnomalyRecordView view = view();
        view.apply("a/a1", accepted(KEY, OTHER_KEY));
        view.apply("r/a1", AnomalyFacts.write(new AnomalyFacts.Resolution("restart-pods", "runbook", 2)));
        // resolved by our runbook, resolve not delivered yet: the trigger still goes first, then its resolve
        assertThat(view.triggerObsolete("a1", KEY)).isFalse();

        view.apply(AnomalyFacts.resolveDeliveredKey("a1", KEY), "{}");

        assertThat(view.triggerObsolete("a1", KEY)).isTrue();
        assertThat(view.triggerObsolete("a1", OTHER_KEY)).isFalse();
    }

    @Test
    void aTriggerIsObsoleteForEveryKeyOnceAnEngineerResolvedTheIncidentInPagerDuty() {
        AnomalyRecordView view = view();
        view.apply("a/a1", accepted(KEY, OTHER_KEY));
        view.apply("r/a1", AnomalyFacts.write(new AnomalyFacts.Resolution("Alice Example", "engineer", 2)));

        assertThat(List.of(view.triggerObsolete("a1", KEY), view.triggerObsolete("a1", OTHER_KEY))).containsOnly(true);
    }

    @Test
    void anAnomalyNeverAcceptedIsUnknownEvenWithAResolutionFact() {
        AnomalyRecordView view = view();
        view.apply("r/a2", AnomalyFacts.write(new AnomalyFacts.Resolution("Alice Example", "engineer", 2)));

        assertThat(view.known("a2")).isFalse();
        assertThat(view.find("a2")).isEmpty();
    }

    @Test
    void aReleaseReadBeforeItsHeldTriggersKeepsThemReleased() {
        AnomalyRecordView view = view();
        view.apply(AnomalyFacts.releasedKey("s1"), "{}");
        view.apply(AnomalyFacts.heldKey("s1", KEY), AnomalyFacts.write(new AnomalyFacts.Held(KEY, "checkout", "trigger", "{}")));
        assertThat(view.heldTriggers("s1")).isEmpty();
    }

    /** Read by an instance that held a symptom while another refused or resolved its root cause: it releases it itself. */
    @Test
    void aRootCauseWhosePageWasRefusedHoldsNothingBack() {
        AnomalyRecordView view = view();
        view.apply("a/r1", AnomalyFacts.write(new AnomalyFacts.Accepted("infrasage-r1", List.of(new RoutingTarget("team", KEY)),
                "critical", 100, "payment-api", List.of("checkout-api"), null)));
        assertThat(view.heldNoLonger("r1")).isFalse();
        assertThat(view.rootCausesNaming("checkout-api", 0)).extracting(InhibitionRule.RootCause::anomalyId).containsExactly("r1");
        view.apply(AnomalyFacts.refusedKey("r1"), "{}");
        assertThat(view.heldNoLonger("r1")).isTrue();
        assertThat(view.rootCausesNaming("checkout-api", 0)).isEmpty();
    }
}
