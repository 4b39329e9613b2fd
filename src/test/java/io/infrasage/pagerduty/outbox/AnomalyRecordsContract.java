package io.infrasage.pagerduty.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.infrasage.pagerduty.anomaly.RoutingTarget;
import org.junit.jupiter.api.Test;

/**
 * What every outbox adapter promises through the {@link AnomalyRecords} port, run against each on its real store (a
 * subclass per adapter: the local SQLite file, and Kafka on a real broker): accepting, repeats, resolves, and symptom
 * inhibition holding, releasing and dropping triggers by {@link io.infrasage.pagerduty.inhibition.InhibitionRule}.
 * Anomaly ids, services and routing keys are new in each test, so an adapter may keep one store for all of them.
 */
public abstract class AnomalyRecordsContract {

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final RoutingTarget payments = team("payments");
    private final RoutingTarget checkout = team("checkout");

    protected abstract AnomalyRecords records();

    protected abstract Outbox outbox();

    /** Closes the store and opens it again on the same data, as a restarted instance would. */
    protected abstract void reopen();

    private RoutingTarget team(String name) {
        return new RoutingTarget(name, (name + "-" + run + "-").repeat(3).substring(0, 32));
    }

    private String id(String name) {
        return name + "-" + run;
    }

    private static List<NewEvent> trigger(RoutingTarget team, String id) {
        return List.of(new NewEvent(team.routingKey(), team.team(), "trigger", "{\"id\":\"" + id + "\"}"));
    }

    /** A service of this test's own: a store kept for all tests must not see another test's root cause of it. */
    private String service(String name) {
        return name + "-" + run;
    }

    /** An anomaly with symptom inhibition on: every trigger may be held back. */
    private AcceptRequest inhibiting(String id, String service, String severity, List<String> blastRadius, RoutingTarget team,
                                     long rootCausesSince) {
        return new AcceptRequest(new NewAnomaly(id, "infrasage-" + id, service(service), blastRadius.stream().map(this::service).toList(),
                List.of(team), severity), rootCausesSince, List.of(), trigger(team, id), rootCause -> List.of());
    }

    private Inhibition.Acceptance accept(String id, String service, String severity, List<String> blastRadius, RoutingTarget team) {
        return accept(id, service, severity, blastRadius, team, 0);
    }

    private Inhibition.Acceptance accept(String id, String service, String severity, List<String> blastRadius, RoutingTarget team,
                                         long rootCausesSince) {
        return records().accept(inhibiting(id, service, severity, blastRadius, team, rootCausesSince)).accepted().orElseThrow();
    }

    private AcceptRequest paging(String id, RoutingTarget team) {
        return AcceptRequest.paging(new NewAnomaly(id, "infrasage-" + id, "payment-api", List.of(), List.of(team), "critical"),
                trigger(team, id), List.of());
    }

    /**
     * The anomalies of this test with events queued for the team's routing key, read once an event queued after all
     * of them is (an adapter may take a moment to deliver what is durably queued to its outbox).
     */
    private List<OutboxEvent> queuedEventsFor(RoutingTarget team) {
        String marker = "marker-" + UUID.randomUUID();
        records().accept(paging(marker, team));
        await().atMost(Duration.ofSeconds(30)).until(() -> heads(team).stream().anyMatch(e -> e.anomalyId().equals(marker)));
        return heads(team).stream().filter(e -> e.anomalyId().endsWith(run)).toList();
    }

    private List<String> queuedFor(RoutingTarget team) {
        return queuedEventsFor(team).stream().map(OutboxEvent::anomalyId).toList();
    }

    private List<OutboxEvent> heads(RoutingTarget team) {
        return outbox().dueHeads(team.routingKey(), Long.MAX_VALUE, 1000);
    }

    private String status(String id) {
        return records().find(id).orElseThrow().status();
    }

    /** Root causes accepted before the moment this returns hold nothing back from a window starting then. */
    private static long afterNow() {
        long after = System.currentTimeMillis() + 1;
        await().pollInterval(Duration.ofMillis(1)).until(() -> System.currentTimeMillis() >= after);
        return after;
    }

    @Test
    void aNewAnomalyIsQueuedOnceAndARepeatIsAnsweredWithItsRecord() {
        String a1 = id("a1");
        String a2 = id("a2");
        AcceptOutcome first = records().accept(paging(a1, payments));
        assertThat(first.accepted().orElseThrow().queued()).hasSize(1);
        assertThat(first.accepted().orElseThrow().inhibitedBy()).isEmpty();

        AnomalyRecord repeat = records().accept(paging(a1, payments)).known().orElseThrow();
        assertThat(repeat.dedupKey()).isEqualTo("infrasage-" + a1);
        assertThat(repeat.targets()).containsExactly(payments);
        assertThat(repeat.severity()).isEqualTo("critical");
        assertThat(repeat.status()).isEqualTo("queued");
        assertThat(repeat.resolved()).isFalse();

        List<AcceptOutcome> batch = records().acceptAll(List.of(paging(a2, payments), paging(a2, payments)), List.of());
        assertThat(batch.get(0).accepted()).isPresent();
        assertThat(batch.get(1).known().orElseThrow().resolved()).as("a2 given twice").isFalse();
        assertThat(records().find(a2).orElseThrow().targets()).containsExactly(payments);
        assertThat(queuedFor(payments)).containsExactlyInAnyOrder(a1, a2);
    }

    @Test
    void onlyTheBundlesOwnResolveIsCreditedToARunbookAndItIsQueuedOnce() {
        String runbook = id("a-runbook");
        String merged = id("a-merged");
        records().accept(paging(runbook, payments));
        records().accept(paging(merged, payments));
        List<NewEvent> resolve = List.of(new NewEvent(payments.routingKey(), payments.team(), "resolve", "{}"));
        assertThat(records().resolve(runbook, "restart-pods", resolve, List.of()).orElseThrow()).hasSize(1);
        assertThat(records().resolve(runbook, "restart-pods", resolve, List.of())).as("resolved already").isEmpty();
        records().resolvedInPagerDuty(merged, "Alice Example", "merged");
        // a later resolve of the incident the merged anomaly went into keeps the first resolution
        records().resolvedInPagerDuty(merged, "PagerDuty", "pagerduty");
        // PagerDuty's echo of our own resolve does not rename it
        records().resolvedInPagerDuty(runbook, "PagerDuty", "pagerduty");

        assertThat(records().find(runbook).orElseThrow().runbook()).contains("restart-pods");
        AnomalyRecord mergedRecord = records().find(merged).orElseThrow();
        assertThat(mergedRecord.runbook()).isEmpty();
        assertThat(mergedRecord.resolvedBy()).isEqualTo("Alice Example");
        assertThat(mergedRecord.resolvedByKind()).isEqualTo("merged");
        assertThat(records().accept(paging(runbook, payments)).known().orElseThrow().resolved()).as("a re-post after the resolve").isTrue();
    }

    @Test
    void resolvingAnAnomalyThatWasNeverAcceptedWritesNothing() {
        String never = id("never-seen");
        var events = List.of(new NewEvent(payments.routingKey(), payments.team(), "resolve", "{}"));
        assertThat(records().resolve(never, "restart-pods", events, List.of())).isEmpty();
        assertThat(records().follow(never, false, events, List.of())).isEmpty();
        assertThat(records().resolvedInPagerDuty(never, "Alice Example", "engineer")).isZero();
        assertThat(records().find(never)).isEmpty();
        assertThat(queuedFor(payments)).isEmpty();
    }

    @Test
    void aHeldSymptomStaysHeldAcrossARestartAndIsQueuedWhenItsRootCauseIsResolved() {
        String r1 = id("r1");
        String s1 = id("s1");
        accept(r1, "payment-api", "critical", List.of("checkout-api"), payments);
        Inhibition.Acceptance held = accept(s1, "checkout-api", "critical", List.of(), checkout);
        assertThat(held.inhibitedBy()).contains(r1);
        assertThat(held.queued()).isEmpty();
        assertThat(status(s1)).isEqualTo(Inhibition.INHIBITED);
        assertThat(queuedFor(checkout)).isEmpty();
        assertThat(queuedFor(payments)).containsExactly(r1);

        reopen();
        assertThat(status(s1)).isEqualTo(Inhibition.INHIBITED);
        records().resolvedInPagerDuty(r1, "Alice Example", "engineer");
        // r1's own queued trigger is dropped (resolved in PagerDuty); s1's held trigger is queued now, as it was held
        assertThat(queuedEventsFor(checkout)).extracting(OutboxEvent::anomalyId, OutboxEvent::action, OutboxEvent::body)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(s1, "trigger", "{\"id\":\"" + s1 + "\"}"));
        assertThat(queuedFor(payments)).isEmpty();
        assertThat(status(s1)).isEqualTo("queued");
    }

    @Test
    void aSymptomResolvedBeforeItsRootCauseIsNeverTriggered() {
        String r1 = id("r1");
        String s1 = id("s1");
        accept(r1, "payment-api", "critical", List.of("checkout-api"), payments);
        accept(s1, "checkout-api", "critical", List.of(), checkout);
        records().resolve(s1, "noop", List.of(), List.of());
        records().resolve(r1, "fix", List.of(), List.of());
        assertThat(queuedFor(checkout)).isEmpty();
        assertThat(records().find(s1).orElseThrow().resolved()).isTrue();
    }

    @Test
    void aRootCauseWhoseTriggerPagerDutyRefusedReleasesItsSymptomsAndHoldsNoMoreBack() {
        String r1 = id("r1");
        String s1 = id("s1");
        accept(r1, "payment-api", "critical", List.of("checkout-api", "cart-api"), payments);
        accept(s1, "checkout-api", "critical", List.of(), checkout);
        records().triggerRefused(r1);
        assertThat(queuedFor(checkout)).containsExactly(s1);
        assertThat(accept(id("s2"), "cart-api", "critical", List.of(), checkout).inhibitedBy()).isEmpty();
    }

    @Test
    void aRootCauseOlderThanTheWindowHoldsNothingBack() {
        accept(id("r1"), "payment-api", "critical", List.of("checkout-api"), payments);
        Inhibition.Acceptance late = accept(id("s1"), "checkout-api", "critical", List.of(), checkout, afterNow());
        assertThat(late.inhibitedBy()).isEmpty();
        assertThat(late.queued()).hasSize(1);
    }

    @Test
    void theNewestOpenPagedRootCauseNamingTheServiceHoldsItBack() {
        String old = id("old");
        String r1 = id("r1");
        String r2 = id("r2");
        accept(old, "payment-api", "critical", List.of("checkout-api"), payments);
        long since = afterNow();
        accept(r1, "payment-api", "critical", List.of("checkout-api"), payments);
        afterNow();
        accept(r2, "payment-db", "critical", List.of("checkout-api"), payments);
        accept(id("other"), "search-api", "critical", List.of("search-web"), payments);

        assertThat(accept(id("s1"), "checkout-api", "critical", List.of(), checkout, since).inhibitedBy()).contains(r2);
        records().resolve(r2, "fix", List.of(), List.of());
        assertThat(accept(id("s2"), "checkout-api", "critical", List.of(), checkout, since).inhibitedBy()).contains(r1);
        assertThat(accept(id("s3"), "inventory-api", "critical", List.of(), checkout, 0).inhibitedBy()).isEmpty();
    }

    @Test
    void aHeldSymptomIsNoRootCauseUntilItIsReleased() {
        String r1 = id("r1");
        String s1 = id("s1");
        accept(r1, "payment-api", "critical", List.of("checkout-api"), payments);
        assertThat(accept(s1, "checkout-api", "critical", List.of("cart-api"), checkout).inhibitedBy()).contains(r1);
        assertThat(accept(id("c1"), "cart-api", "critical", List.of(), checkout).inhibitedBy()).isEmpty();

        records().resolve(r1, "fix", List.of(), List.of());
        assertThat(status(s1)).isEqualTo("queued");
        assertThat(accept(id("c2"), "cart-api", "critical", List.of(), checkout).inhibitedBy()).contains(s1);
    }

    @Test
    void aCriticalSymptomBehindAWarningRootCauseIsPagedAndAWarningOneIsHeld() {
        String warning = id("r-warning");
        accept(warning, "payment-api", "warning", List.of("checkout-api"), payments);

        Inhibition.Acceptance critical = accept(id("s-critical"), "checkout-api", "critical", List.of(), checkout);
        assertThat(critical.inhibitedBy()).isEmpty();
        assertThat(critical.queued()).hasSize(1);
        assertThat(accept(id("s-warning"), "checkout-api", "warning", List.of(), checkout).inhibitedBy()).contains(warning);
    }

    @Test
    void aWarningSymptomBehindACriticalRootCauseIsHeldAndANewerWarningRootCauseLeavesACriticalOneToIt() {
        String critical = id("r-critical");
        String warning = id("r-warning");
        accept(critical, "payment-db", "critical", List.of("checkout-api"), payments);
        afterNow();
        accept(warning, "payment-api", "warning", List.of("checkout-api"), payments);

        assertThat(accept(id("s-error"), "checkout-api", "error", List.of(), checkout).inhibitedBy()).contains(critical);
        assertThat(accept(id("s-warning"), "checkout-api", "warning", List.of(), checkout).inhibitedBy()).contains(warning);
    }

    @Test
    void aRootCauseNeverHoldsBackItsOwnService() {
        String r1 = id("r1");
        accept(r1, "payment-api", "critical", List.of("payment-api", "checkout-api"), payments);

        Inhibition.Acceptance own = accept(id("p2"), "payment-api", "warning", List.of(), payments);
        assertThat(own.inhibitedBy()).isEmpty();
        assertThat(own.queued()).hasSize(1);
        assertThat(accept(id("s1"), "checkout-api", "warning", List.of(), checkout).inhibitedBy()).contains(r1);
    }

    @Test
    void inABatchASymptomIsHeldByARootCauseGivenBeforeItWhenThatIsSafe() {
        String r1 = id("r1");
        List<AcceptOutcome> outcomes = records().acceptAll(List.of(
                inhibiting(r1, "payment-api", "critical", List.of("checkout-api", "payment-api"), payments, 0),
                inhibiting(id("s1"), "checkout-api", "critical", List.of(), checkout, 0),
                inhibiting(id("w1"), "payment-db", "warning", List.of("cart-api"), payments, 0),
                inhibiting(id("s2"), "cart-api", "critical", List.of(), checkout, 0),
                inhibiting(id("p2"), "payment-api", "critical", List.of(), payments, 0)), List.of());

        List<Optional<String>> inhibitedBy = outcomes.stream().map(o -> o.accepted().orElseThrow().inhibitedBy()).toList();
        assertThat(inhibitedBy).containsExactly(Optional.empty(), Optional.of(r1), Optional.empty(), Optional.empty(), Optional.empty());
        assertThat(outcomes).extracting(o -> o.accepted().orElseThrow().queued().size()).containsExactly(1, 0, 1, 1, 1);
        assertThat(queuedFor(checkout)).containsExactly(id("s2"));
    }
}
