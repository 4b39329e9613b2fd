package io.infrasage.pagerduty.outbox.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.infrasage.pagerduty.anomaly.RoutingTarget;
import org.junit.jupiter.api.Test;

/** The facts of the anomalies topic: what they hold, and that no routing key (a secret) appears in a record key. */
class AnomalyFactsTest {

    static final String KEY = "P".repeat(32);

    @Test
    void anAcceptedFactKeepsTheTargetsTheTriggerWentTo() {
        var accepted = new AnomalyFacts.Accepted("infrasage-a1", List.of(new RoutingTarget("payments", KEY)), "critical", 42);

        assertThat(AnomalyFacts.readAccepted(AnomalyFacts.write(accepted))).isEqualTo(accepted);
    }

    @Test
    void aResolutionKeepsWhoResolvedAndHow() {
        var resolution = new AnomalyFacts.Resolution("restart-pods", "runbook", 7);

        assertThat(AnomalyFacts.readResolution(AnomalyFacts.write(resolution))).isEqualTo(resolution);
    }

    @Test
    void theResolveDeliveredFactNamesTheRoutingKeyOnlyByItsHash() {
        String key = AnomalyFacts.resolveDeliveredKey("a1", KEY);

        assertThat(key).startsWith("d/a1/").doesNotContain(KEY).doesNotContain("PPPP");
        assertThat(key).isEqualTo(AnomalyFacts.resolveDeliveredKey("a1", KEY));
        assertThat(key).isNotEqualTo(AnomalyFacts.resolveDeliveredKey("a1", "Q".repeat(32)));
    }

    @Test
    void aDeliverySequenceNumberIsItsPlaceInKafkaOnEveryInstance() {
        long seq = DeliveryRecord.seq(11, 123_456_789L);

        assertThat(DeliveryRecord.partition(seq)).isEqualTo(11);
        assertThat(DeliveryRecord.offset(seq)).isEqualTo(123_456_789L);
        assertThat(DeliveryRecord.seq(11, 123_456_790L)).isGreaterThan(seq);
    }

    @Test
    void factKeysNameTheAnomalyButNeverTheRoutingKey() {
        assertThat(AnomalyFacts.heldKey("s1", KEY)).startsWith("h/s1/").doesNotContain(KEY);
        assertThat(AnomalyFacts.anomalyIdOf(AnomalyFacts.heldKey("a/b", KEY))).isEqualTo("a/b");
        assertThat(AnomalyFacts.anomalyIdOf(AnomalyFacts.releasedKey("a/b"))).isEqualTo("a/b");
        assertThat(AnomalyFacts.anomalyIdOf(AnomalyFacts.resolveDeliveredKey("a/b", KEY))).isEqualTo("a/b");
    }

    @Test
    void anAcceptedFactWithSymptomInhibitionKeepsServiceBlastRadiusAndRootCause() {
        var accepted = new AnomalyFacts.Accepted("infrasage-s1", List.of(new RoutingTarget("checkout", KEY)), "warning", 42,
                "checkout-api", List.of("cart-api"), "r1");

        assertThat(AnomalyFacts.readAccepted(AnomalyFacts.write(accepted))).isEqualTo(accepted);
    }
}
