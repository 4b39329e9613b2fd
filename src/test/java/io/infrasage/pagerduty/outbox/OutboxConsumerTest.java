package io.infrasage.pagerduty.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.DependencyState;
import io.infrasage.pagerduty.anomaly.PagerDutyEvents;
import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.outbox.local.LocalStore;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.tracing.SpanAttributes;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox: component under the project's routes/pagerduty-delivery.camel.yaml, on a real SQLite outbox and the
 * PagerDuty sandbox over HTTP: order per dedup key, retries, refusals, the pace, and the headers of each attempt.
 */
class OutboxConsumerTest {

    static final RoutingTarget TEAM = new RoutingTarget("payments", "C".repeat(32));

    @TempDir
    Path dir;
    PagerDutySandbox sandbox;
    LocalStore store;
    DefaultCamelContext camel;
    final Deliveries deliveries = new Deliveries();
    final List<String> refusedTriggers = new CopyOnWriteArrayList<>();
    /** The headers of each attempt's exchange after the route's last step. */
    final List<Map<String, Object>> attempts = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        sandbox = PagerDutySandbox.builder().port(0).start();
        store = new LocalStore(dir);
    }

    /** The route file as ops ship it, behind the outbox: with this pace, and retries 200 ms apart. */
    void deliver(int ratePerMinute, int burst) throws Exception {
        camel = new DefaultCamelContext();
        camel.getPropertiesComponent().addOverrideProperty("pagerduty.events-url", sandbox.eventsUrl());
        camel.getPropertiesComponent().addOverrideProperty("pagerduty.change-events-url", sandbox.changeEventsUrl());
        BundleMetrics metrics = new BundleMetrics();
        OutboxSettlement settlement = new OutboxSettlement(store.outbox(), metrics, deliveries);
        settlement.whenTriggerRefused(refusedTriggers::add);
        DeliveryOutcome outcome = new DeliveryOutcome(new DeliveryPolicy(Duration.ofMillis(200), Duration.ofMillis(200),
                Duration.ofMillis(200)), metrics, new DependencyState("PagerDuty", "pages wait"));
        camel.getRegistry().bind("deliveryOutcome", outcome);
        camel.getRegistry().bind("oneRequestPerAttempt", new OneRequestPerAttempt());
        camel.getRegistry().bind("spanAttributes", new SpanAttributes());
        camel.addComponent("outbox", new OutboxComponent("pagerduty", store.outbox(), deliveries, settlement, outcome,
                new RoutingKeyPace(ratePerMinute, burst), 4));
        PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.resolveResource(camel,
                "file:" + LocalClickHouse.projectRoot().resolve("routes/pagerduty-delivery.camel.yaml")));
        AdviceWith.adviceWith(camel, "pagerduty-delivery", route -> route.weaveAddLast().process(done ->
                attempts.add(done.getMessage().getHeaders().entrySet().stream().filter(h -> h.getKey().startsWith("CamelOutbox"))
                        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)))));
        camel.start();
    }

    @AfterEach
    void stop() {
        if (camel != null) {
            camel.stop();
        }
        store.close();
        sandbox.close();
    }

    private static String trigger(String id) {
        return "{\"routing_key\":\"" + TEAM.routingKey() + "\",\"event_action\":\"trigger\",\"dedup_key\":\"infrasage-" + id
                + "\",\"payload\":{\"summary\":\"CPU on payment-api\",\"source\":\"payment-api\",\"severity\":\"critical\"}}";
    }

    /** Queues one anomaly's trigger (or this body instead) and wakes the consumer; returns PagerDuty's answer to come. */
    private CompletableFuture<Boolean> page(String id, String body) {
        List<Long> queued = store.records().accept(AcceptRequest.paging(new NewAnomaly(id, "infrasage-" + id, "payment-api",
                List.of(), List.of(TEAM), "critical"), List.of(new NewEvent(TEAM.routingKey(), TEAM.team(), "trigger", body)),
                List.of())).accepted().orElseThrow().queued();
        CompletableFuture<Boolean> delivery = deliveries.delivery(queued.get(0));
        deliveries.wake();
        return delivery;
    }

    private List<ReceivedEvent> received(String id) {
        return sandbox.events().stream().filter(e -> ("infrasage-" + id).equals(e.dedupKey())).toList();
    }

    @Test
    void aConsumerStoppedBeforeItStartedStopsWithoutAnError() throws Exception {
        // what a context whose start failed at another route (Kafka away) does to this route's consumer
        deliver(60, 10);
        org.apache.camel.Consumer unstarted = camel.getEndpoint("outbox:pagerduty").createConsumer(exchange -> { });
        unstarted.init();
        assertThatCode(unstarted::stop).doesNotThrowAnyException();
    }

    @Test
    void aResolveQueuedBehindItsTriggerReachesPagerDutyAfterItWithTheEventsIdentityOnEachAttempt() throws Exception {
        deliver(120, 10);
        sandbox.faults().respond(500, 1);
        CompletableFuture<Boolean> delivery = page("ordered", trigger("ordered"));
        store.records().resolve("ordered", "restart-pods",
                List.of(new NewEvent(TEAM.routingKey(), TEAM.team(), "resolve", PagerDutyEvents.resolve("infrasage-ordered",
                        TEAM.routingKey()).toString())), List.of());
        deliveries.wake();

        assertThat(delivery.get(10, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> store.outbox().depth() == 0);
        assertThat(received("ordered")).extracting(ReceivedEvent::eventAction, ReceivedEvent::status)
                .containsExactly(tuple("trigger", 500), tuple("trigger", 202),
                        tuple("resolve", 202));
        assertThat(sandbox.incidentByKey("infrasage-ordered").orElseThrow().status()).isEqualTo("resolved");
        assertThat(attempts).extracting(h -> h.get(OutboxConsumer.ACTION), h -> h.get(OutboxConsumer.ATTEMPT),
                h -> h.get(DeliveryOutcome.OUTCOME)).containsExactly(
                        tuple("trigger", 1, "retry"), tuple("trigger", 2, "delivered"),
                        tuple("resolve", 1, "delivered"));
        assertThat(attempts).allSatisfy(h -> {
            assertThat(h).containsEntry(OutboxConsumer.DEDUP_KEY, "infrasage-ordered").containsEntry(OutboxConsumer.ROUTING_KEY,
                    TEAM.routingKey()).containsEntry(OutboxConsumer.PACE_WAIT_MILLIS, 0L);
        });
    }

    @Test
    void anEventPagerDutyRefusesLeavesTheOutboxAndReleasesWhatItsTriggerHeldBack() throws Exception {
        deliver(120, 10);
        CompletableFuture<Boolean> delivery = page("refused", "{\"routing_key\":\"" + TEAM.routingKey() + "\",\"event_action\":\"trigger\"}");

        assertThat(delivery.get(10, TimeUnit.SECONDS)).isFalse();
        assertThat(refusedTriggers).containsExactly("refused");
        assertThat(store.outbox().depth()).isZero();
        assertThat(sandbox.events()).extracting(ReceivedEvent::status).containsExactly(400);
    }

    @Test
    void aTooManyRequestsAnswerIsTheOutboxsToRetryNotTheHttpClients() throws Exception {
        deliver(120, 10);
        sandbox.faults().respond(429, 1);
        CompletableFuture<Boolean> delivery = page("throttled", trigger("throttled"));

        assertThat(delivery.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(received("throttled")).extracting(ReceivedEvent::status).containsExactly(429, 202);
        // one request per attempt: a retry inside the HTTP client would be unpaced and hidden from the outcome step
        assertThat(attempts).extracting(h -> h.get(OutboxConsumer.ATTEMPT), h -> h.get(DeliveryOutcome.OUTCOME))
                .containsExactly(tuple(1, "retry"), tuple(2, "delivered"));
    }

    @Test
    void aKeyPastItsBurstIsPacedAndItsWaitIsOnTheAttempt() throws Exception {
        // a burst of 2, then about one event a second
        deliver(62, 2);
        List<CompletableFuture<Boolean>> deliveries = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            deliveries.add(page("paced-" + i, trigger("paced-" + i)));
        }

        for (CompletableFuture<Boolean> delivery : deliveries) {
            assertThat(delivery.get(10, TimeUnit.SECONDS)).isTrue();
        }
        List<ReceivedEvent> arrivals = sandbox.events();
        // the burst's two dedup keys are sent at once, so either may arrive first; the paced ones come a second apart
        assertThat(arrivals.subList(0, 2)).extracting(ReceivedEvent::dedupKey)
                .containsExactlyInAnyOrder("infrasage-paced-0", "infrasage-paced-1");
        assertThat(arrivals.subList(2, 4)).extracting(ReceivedEvent::dedupKey)
                .containsExactly("infrasage-paced-2", "infrasage-paced-3");
        assertThat(Duration.between(arrivals.get(1).at(), arrivals.get(0).at()).abs()).as("the burst").isLessThan(Duration.ofMillis(500));
        assertThat(Duration.between(arrivals.get(2).at(), arrivals.get(3).at())).as("paced").isGreaterThan(Duration.ofMillis(900));
        List<Long> waits = attempts.stream().map(h -> (Long) h.get(OutboxConsumer.PACE_WAIT_MILLIS)).toList();
        assertThat(waits.subList(0, 2)).as("the burst").containsOnly(0L);
        assertThat(waits.get(2)).isGreaterThan(500L);
        assertThat(waits.get(3)).isGreaterThan(waits.get(2));
    }
}
