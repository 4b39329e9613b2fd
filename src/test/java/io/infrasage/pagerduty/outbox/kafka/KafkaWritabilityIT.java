package io.infrasage.pagerduty.outbox.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import io.infrasage.pagerduty.DependencyState;
import io.infrasage.pagerduty.outbox.Outbox;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalKafka;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Kafka outbox says whether a durable write can be made now, as readiness asks it: from a real broker stopped and
 * started again, with no request in between (an instance out of traffic must see the broker's return by itself), and
 * never keeping a health probe waiting for more than its second.
 */
class KafkaWritabilityIT {

    static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration PROBE_BUDGET = Duration.ofSeconds(1);

    static LocalKafka kafka;
    static DefaultCamelContext camel;
    static KafkaQueue queue;

    @BeforeAll
    static void oneBroker() {
        kafka = LocalKafka.start();
        KafkaClients clients = new KafkaClients(new KafkaConfiguration(), kafka.bootstrapServers(), ACCEPT_TIMEOUT);
        camel = new DefaultCamelContext();
        camel.start();
        queue = new KafkaQueue(clients, new KafkaTopics("writability-" + UUID.randomUUID().toString().substring(0, 8) + ".", 2, (short) 1),
                8, camel.getExecutorServiceManager());
        queue.start(() -> { });
    }

    @AfterAll
    static void stop() throws Exception {
        if (queue != null) {
            queue.close();
        }
        if (camel != null) {
            camel.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void unwritableWhileTheBrokerIsAwayAndWritableSoonAfterItsReturnWithoutARequest() {
        Outbox outbox = queue.outbox();
        AtomicLong slowest = new AtomicLong();
        assertThat(timed(outbox, slowest)).isEmpty();

        kafka.stop();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> timed(outbox, slowest).isPresent());
        assertThat(timed(outbox, slowest)).get().asString().contains("Kafka");
        long start = System.nanoTime();
        assertThatThrownBy(() -> queue.records().find("any")).isInstanceOf(KafkaUnavailableException.class).hasMessageContaining("Kafka");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(ACCEPT_TIMEOUT.plusMillis(500));
        assertThat(queue.state().isUp()).isFalse();

        kafka.startAgain();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> timed(outbox, slowest).isEmpty());
        assertThat(queue.state().isUp()).isTrue();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> queue.records().find("any").isEmpty());
        System.out.printf("slowest answer of unwritable(): %d ms%n", slowest.get() / 1_000_000);
        assertThat(Duration.ofNanos(slowest.get())).isLessThan(PROBE_BUDGET);
    }

    /**
     * A client still connecting at start-up (here: to a port nothing answers on) leaves the instance unready, but
     * reports no outage: no warning, and infrasage_dependency_up stays 1, so a deploy does not page anyone.
     */
    @Test
    void beforeKafkaFirstAnswersAFailedLookIsUnreadyWithoutReportingAnOutage() throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + FreePorts.next());
        Admin admin = Admin.create(p);
        try {
            DependencyState state = new DependencyState("Kafka", "test");
            KafkaWritability writability = new KafkaWritability(() -> admin, List.of("never-reached"), state, 1);
            await().atMost(Duration.ofSeconds(5)).until(() -> writability.unwritable().isPresent());
            assertThat(writability.unwritable()).get().asString().startsWith("Kafka not reached yet");
            assertThat(state.isUp()).as("no outage reported before Kafka ever answered").isTrue();
        } finally {
            admin.close(Duration.ZERO); // its calls to nobody would otherwise be waited for
        }
    }

    static Optional<String> timed(Outbox outbox, AtomicLong slowest) {
        long start = System.nanoTime();
        Optional<String> reason = outbox.unwritable();
        slowest.accumulateAndGet(System.nanoTime() - start, Math::max);
        return reason;
    }
}
