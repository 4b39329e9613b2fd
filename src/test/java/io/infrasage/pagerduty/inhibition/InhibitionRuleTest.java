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
    void anAnomalyIsNeverItsOwnRootCause() {
        NewAnomaly itself = new NewAnomaly("r1", "infrasage-r1", "checkout-api", List.of(), List.of(), "warning");
        assertThat(InhibitionRule.rootCauseOf(itself, List.of(new RootCause("r1", "payment-api", "critical", 100)))).isEmpty();
    }
}
