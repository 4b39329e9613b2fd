package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.UUID;

import io.infrasage.pagerduty.clickhouse.ClickHouse;
import io.infrasage.pagerduty.clickhouse.ClickHouseWriter;
import io.infrasage.pagerduty.clickhouse.SchemaMigrator;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.Outbox;
import io.infrasage.pagerduty.outbox.OutboxContract;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.LocalKafka;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The outbox's contract on the Kafka adapter: one real broker (scripts/kafka.sh) and topics of this class's own;
 * reopening is a new instance joining the same delivery group.
 */
class KafkaOutboxIT extends OutboxContract {

    static LocalKafka kafka;
    static ClickHouseWriter writer;
    static KafkaClients clients;
    static KafkaTopics topics;
    static KafkaQueue queue;

    @BeforeAll
    static void startBroker() {
        kafka = LocalKafka.start();
        String db = LocalClickHouse.uniqueDatabase("it_outbox");
        ClickHouse clickHouse = new ClickHouse(LocalClickHouse.shared().jdbcUrl(db), "default", "", db);
        writer = new ClickHouseWriter(clickHouse, new SchemaMigrator(clickHouse));
        clients = new KafkaClients(new KafkaConfiguration(), kafka.bootstrapServers(), Duration.ofSeconds(5));
        topics = new KafkaTopics("outbox-" + UUID.randomUUID().toString().substring(0, 8) + ".", 2, (short) 1);
        queue = open();
    }

    static KafkaQueue open() {
        KafkaQueue opened = new KafkaQueue(clients, topics, writer, 32);
        opened.start(() -> { });
        return opened;
    }

    @AfterAll
    static void stopBroker() {
        for (AutoCloseable c : new AutoCloseable[] {queue, writer, kafka}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // the next one still stops
            }
        }
    }

    @Override
    protected AnomalyRecords records() {
        return queue.records();
    }

    @Override
    protected Outbox outbox() {
        return queue.outbox();
    }

    @Override
    protected void reopen() {
        queue.close();
        queue = open();
    }
}
