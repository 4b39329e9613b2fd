package io.infrasage.pagerduty.outbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.outbox.AcceptRequest;
import io.infrasage.pagerduty.outbox.Inhibition;
import io.infrasage.pagerduty.outbox.NewAnomaly;
import io.infrasage.pagerduty.outbox.NewEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Symptom inhibition in the embedded adapter: the window, holding, releasing, and what survives a restart. */
class LocalInhibitionTest {

    static final RoutingTarget CHECKOUT = new RoutingTarget("checkout", "C".repeat(32));
    static final RoutingTarget PAYMENTS = new RoutingTarget("payments", "P".repeat(32));

    @TempDir
    Path dir;

    static NewAnomaly anomaly(String id, String service, List<String> blastRadius, RoutingTarget team) {
        return new NewAnomaly(id, "infrasage-" + id, service, blastRadius, List.of(team), "critical");
    }

    static List<NewEvent> trigger(RoutingTarget team, String id) {
        return List.of(new NewEvent(team.routingKey(), team.team(), "trigger", "{\"id\":\"" + id + "\"}"));
    }

    static Optional<Inhibition.Acceptance> accept(LocalStore store, String id, String service, List<String> radius, RoutingTarget team,
                                                  long since) {
        return store.records().accept(new AcceptRequest(anomaly(id, service, radius, team), since, List.of(), trigger(team, id),
                r -> List.of())).accepted();
    }

    @Test
    void aRootCauseOlderThanTheWindowHoldsNothingBack() {
        try (LocalStore store = new LocalStore(dir)) {
            accept(store, "r1", "payment-api", List.of("checkout-api"), PAYMENTS, 0);
            long afterRootCause = System.currentTimeMillis() + 1;
            Inhibition.Acceptance late = accept(store, "s1", "checkout-api", List.of(), CHECKOUT, afterRootCause).orElseThrow();
            assertThat(late.inhibitedBy()).isEmpty();
            assertThat(late.queued()).hasSize(1);
        }
    }

    @Test
    void inABatchASymptomIsHeldByARootCauseGivenBeforeItInTheSameCommit() {
        try (LocalStore store = new LocalStore(dir)) {
            var outcomes = store.records().acceptAll(List.of(
                    new AcceptRequest(anomaly("r1", "payment-api", List.of("checkout-api"), PAYMENTS), 0L, List.of(), trigger(PAYMENTS, "r1"),
                            r -> List.of()),
                    new AcceptRequest(anomaly("s1", "checkout-api", List.of(), CHECKOUT), 0L, List.of(), trigger(CHECKOUT, "s1"),
                            r -> List.of())), List.of());
            assertThat(outcomes.get(0).accepted().orElseThrow().inhibitedBy()).isEmpty();
            assertThat(outcomes.get(1).accepted().orElseThrow().inhibitedBy()).contains("r1");
            assertThat(store.outbox().depth()).isEqualTo(1);
        }
    }

    @Test
    void heldTriggersSurviveARestartAndAreQueuedWhenTheRootCauseIsResolved() {
        try (LocalStore store = new LocalStore(dir)) {
            accept(store, "r1", "payment-api", List.of("checkout-api"), PAYMENTS, 0);
            Inhibition.Acceptance held = accept(store, "s1", "checkout-api", List.of(), CHECKOUT, 0).orElseThrow();
            assertThat(held.inhibitedBy()).contains("r1");
            assertThat(held.queued()).isEmpty();
            assertThat(store.records().find("s1").orElseThrow().status()).isEqualTo(Inhibition.INHIBITED);
            assertThat(store.outbox().depth()).isEqualTo(1); // only the root cause's trigger
        }
        try (LocalStore store = new LocalStore(dir)) {
            store.records().resolvedInPagerDuty("r1", "Alice Example", "engineer");
            // r1's own queued trigger is dropped (resolved in PagerDuty); s1's held trigger is queued now
            assertThat(store.outbox().depth()).isEqualTo(1);
            assertThat(store.outbox().dueHeads(CHECKOUT.routingKey(), Long.MAX_VALUE, 10)).extracting(e -> e.anomalyId())
                    .containsExactly("s1");
            assertThat(store.records().find("s1").orElseThrow().status()).isEqualTo("queued");
        }
    }

    @Test
    void aSymptomResolvedBeforeItsRootCauseIsNeverTriggered() {
        try (LocalStore store = new LocalStore(dir)) {
            accept(store, "r1", "payment-api", List.of("checkout-api"), PAYMENTS, 0);
            accept(store, "s1", "checkout-api", List.of(), CHECKOUT, 0);
            store.records().resolve("s1", "noop", List.of(), List.of());
            store.records().resolve("r1", "fix", List.of(), List.of());
            assertThat(store.outbox().dueHeads(CHECKOUT.routingKey(), Long.MAX_VALUE, 10)).isEmpty();
        }
    }

    @Test
    void aRootCauseWhoseTriggerPagerDutyRefusedReleasesItsSymptomsAndHoldsNoMoreBack() {
        try (LocalStore store = new LocalStore(dir)) {
            accept(store, "r1", "payment-api", List.of("checkout-api", "cart-api"), PAYMENTS, 0);
            accept(store, "s1", "checkout-api", List.of(), CHECKOUT, 0);
            store.records().triggerRefused("r1");
            assertThat(store.outbox().dueHeads(CHECKOUT.routingKey(), Long.MAX_VALUE, 10)).extracting(e -> e.anomalyId())
                    .containsExactly("s1");
            assertThat(accept(store, "s2", "cart-api", List.of(), CHECKOUT, 0).orElseThrow().inhibitedBy()).isEmpty();
        }
    }
}
