package io.infrasage.pagerduty.outbox.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.infrasage.pagerduty.anomaly.RoutingTarget;
import org.junit.jupiter.api.Test;

/** Symptom inhibition as an instance's copy of the anomalies topic sees it, fed facts in any partition order. */
class InhibitionFactsTest {

    static final String KEY = "P".repeat(32);

    static String accepted(String id, long at, String service, List<String> blastRadius, String inhibitedBy) {
        return AnomalyFacts.write(new AnomalyFacts.Accepted("infrasage-" + id, List.of(new RoutingTarget("team", KEY)), "critical", at,
                service, blastRadius, inhibitedBy));
    }

    @Test
    void theNewestOpenPagedAnomalyNamingTheServiceWithinTheWindowIsItsRootCause() {
        AnomalyRecordView view = AnomalyRecordViewTest.view();
        view.apply("a/old", accepted("old", 100, "payment-api", List.of("checkout-api"), null));
        view.apply("a/r1", accepted("r1", 200, "payment-api", List.of("checkout-api"), null));
        view.apply("a/r2", accepted("r2", 300, "payment-db", List.of("checkout-api"), null));
        view.apply("a/other", accepted("other", 400, "search-api", List.of("search-web"), null));

        assertThat(view.openRootCauseOf("checkout-api", "s", 150)).contains("r2");
        view.apply("r/r2", AnomalyFacts.write(new AnomalyFacts.Resolution("fix", "runbook", 500)));
        assertThat(view.openRootCauseOf("checkout-api", "s", 150)).contains("r1");
        // outside the window: root causes accepted before "since" hold nothing back
        assertThat(view.openRootCauseOf("checkout-api", "s", 250)).isEmpty();
        assertThat(view.openRootCauseOf("inventory-api", "s", 0)).isEmpty();
    }

    @Test
    void aHeldSymptomIsNoRootCauseUntilReleasedAndItsHeldTriggersSurviveUntilThen() {
        AnomalyRecordView view = AnomalyRecordViewTest.view();
        view.apply("a/r1", accepted("r1", 100, "payment-api", List.of("checkout-api"), null));
        view.apply(AnomalyFacts.heldKey("s1", KEY), AnomalyFacts.write(new AnomalyFacts.Held(KEY, "checkout", "trigger", "{\"t\":1}")));
        view.apply("a/s1", accepted("s1", 110, "checkout-api", List.of("cart-api"), "r1"));

        assertThat(view.find("s1").orElseThrow().status()).isEqualTo("inhibited");
        assertThat(view.heldSymptomsOf("r1")).containsExactly("s1");
        assertThat(view.heldTriggers("s1")).extracting(AnomalyFacts.Held::body).containsExactly("{\"t\":1}");
        assertThat(view.openRootCauseOf("cart-api", "x", 0)).isEmpty();

        view.apply(AnomalyFacts.releasedKey("s1"), "{}");
        assertThat(view.heldSymptomsOf("r1")).isEmpty();
        assertThat(view.find("s1").orElseThrow().status()).isEqualTo("queued");
        assertThat(view.openRootCauseOf("cart-api", "x", 0)).contains("s1");
    }

    @Test
    void aReleaseReadBeforeItsHeldTriggersKeepsThemReleased() {
        AnomalyRecordView view = AnomalyRecordViewTest.view();
        view.apply(AnomalyFacts.releasedKey("s1"), "{}");
        view.apply(AnomalyFacts.heldKey("s1", KEY), AnomalyFacts.write(new AnomalyFacts.Held(KEY, "checkout", "trigger", "{}")));
        assertThat(view.heldTriggers("s1")).isEmpty();
    }

    @Test
    void factKeysNameTheAnomalyButNeverTheRoutingKey() {
        assertThat(AnomalyFacts.heldKey("s1", KEY)).startsWith("h/s1/").doesNotContain(KEY);
        assertThat(AnomalyFacts.anomalyIdOf(AnomalyFacts.heldKey("a/b", KEY))).isEqualTo("a/b");
        assertThat(AnomalyFacts.anomalyIdOf(AnomalyFacts.releasedKey("a/b"))).isEqualTo("a/b");
        assertThat(AnomalyFacts.anomalyIdOf(AnomalyFacts.resolveDeliveredKey("a/b", KEY))).isEqualTo("a/b");
    }

    @Test
    void aRootCauseWhosePageWasRefusedHoldsNothingBack() {
        AnomalyRecordView view = AnomalyRecordViewTest.view();
        view.apply("a/r1", accepted("r1", 100, "payment-api", List.of("checkout-api"), null));
        assertThat(view.heldNoLonger("r1")).isFalse();
        view.apply(AnomalyFacts.refusedKey("r1"), "{}");
        assertThat(view.heldNoLonger("r1")).isTrue();
        assertThat(view.openRootCauseOf("checkout-api", "s", 0)).isEmpty();
    }
}
