package io.infrasage.pagerduty.inhibition;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.inhibition.InhibitionRule.RootCause;
import io.infrasage.pagerduty.outbox.NewAnomaly;
import org.junit.jupiter.api.Test;

/**
 * The choice among the root causes a store holds for a symptom's service; the stores' side of it (which candidates
 * they hold) is AnomalyRecordsContract's, run against both outbox adapters.
 */
class InhibitionRuleTest {

    static NewAnomaly symptom(String service, String severity) {
        return new NewAnomaly("s1", "infrasage-s1", service, List.of(), List.of(new RoutingTarget("checkout", "C".repeat(32))), severity);
    }

    @Test
    void theNewestCandidateHoldsTheSymptomAndOfTwoAcceptedInOneMillisecondTheLaterGiven() {
        List<RootCause> candidates = List.of(new RootCause("r1", "payment-api", "critical", 100),
                new RootCause("r2", "payment-db", "critical", 300), new RootCause("r3", "payment-cache", "critical", 300),
                new RootCause("r0", "payment-queue", "critical", 200));

        assertThat(InhibitionRule.rootCauseOf(symptom("checkout-api", "critical"), candidates)).contains("r3");
        assertThat(InhibitionRule.rootCauseOf(symptom("checkout-api", "critical"), List.of())).isEmpty();
    }

    @Test
    void aSymptomIsHeldOnlyBehindARootCauseAtLeastAsSevere() {
        RootCause warning = new RootCause("r-warning", "payment-api", "warning", 100);
        RootCause critical = new RootCause("r-critical", "payment-db", "critical", 100);

        assertThat(InhibitionRule.rootCauseOf(symptom("checkout-api", "critical"), List.of(warning))).isEmpty();
        assertThat(InhibitionRule.rootCauseOf(symptom("checkout-api", "error"), List.of(warning))).isEmpty();
        assertThat(InhibitionRule.rootCauseOf(symptom("checkout-api", "warning"), List.of(warning))).contains("r-warning");
        assertThat(InhibitionRule.rootCauseOf(symptom("checkout-api", "warning"), List.of(critical))).contains("r-critical");
        assertThat(InhibitionRule.rootCauseOf(symptom("checkout-api", "critical"), List.of(critical))).contains("r-critical");
    }

    @Test
    void aNewerRootCauseTooMildToHoldTheSymptomLeavesItToAnOlderOneThatIsSevereEnough() {
        List<RootCause> candidates = List.of(new RootCause("r-critical", "payment-db", "critical", 100),
                new RootCause("r-warning", "payment-api", "warning", 200));

        assertThat(InhibitionRule.rootCauseOf(symptom("checkout-api", "critical"), candidates)).contains("r-critical");
        assertThat(InhibitionRule.rootCauseOf(symptom("checkout-api", "warning"), candidates)).contains("r-warning");
    }

    @Test
    void aRootCauseNeverHoldsBackItsOwnServiceNorItself() {
        RootCause own = new RootCause("r1", "payment-api", "critical", 100);

        assertThat(InhibitionRule.rootCauseOf(symptom("payment-api", "warning"), List.of(own))).isEmpty();
        NewAnomaly itself = new NewAnomaly("r1", "infrasage-r1", "checkout-api", List.of(), List.of(), "warning");
        assertThat(InhibitionRule.rootCauseOf(itself, List.of(new RootCause("r1", "payment-api", "critical", 100)))).isEmpty();
    }

    @Test
    void aRootCauseOfUnknownSeverityHoldsNoSymptomThatHasOne() {
        RootCause unknown = new RootCause("r1", "payment-api", null, 100);

        assertThat(InhibitionRule.rootCauseOf(symptom("checkout-api", "warning"), List.of(unknown))).isEmpty();
    }
}
