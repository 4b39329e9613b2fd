package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.UUID;

import io.infrasage.pagerduty.testing.LocalKafka;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The Kafka adapter as the contract suites use it: one real broker (scripts/kafka.sh), topics of the suite's own with
 * two partitions, and a queue on Camel's threads; reopening is a new instance on the same topics.
 */
final class KafkaQueueUnderTest implements AutoCloseable {

    private final LocalKafka kafka = LocalKafka.start();
    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final KafkaTopics topics;
    private KafkaQueue queue;

    KafkaQueueUnderTest(String topicPrefix) {
        camel.start();
        topics = new KafkaTopics(topicPrefix + "-" + UUID.randomUUID().toString().substring(0, 8) + ".", 2, (short) 1);
        queue = open();
    }

    private KafkaQueue open() {
        KafkaClients clients = new KafkaClients(new KafkaConfiguration(), kafka.bootstrapServers(), Duration.ofSeconds(5));
        KafkaQueue opened = new KafkaQueue(clients, topics, 32, camel.getExecutorServiceManager());
        opened.start(() -> { });
        return opened;
    }

    KafkaQueue queue() {
        return queue;
    }

    void reopen() {
        queue.close();
        queue = open();
    }

    @Override
    public void close() {
        for (AutoCloseable c : new AutoCloseable[] {queue, camel, kafka}) {
            try {
                c.close();
            } catch (Exception e) {
                // the next one still stops
            }
        }
    }
}
