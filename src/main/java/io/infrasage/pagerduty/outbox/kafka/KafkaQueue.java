package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.List;

import io.infrasage.pagerduty.DependencyState;
import io.infrasage.pagerduty.clickhouse.ClickHouseWriter;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.Outbox;
import io.infrasage.pagerduty.outbox.RowSpool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka adapter (INFRASAGE_QUEUE=kafka): the anomaly records, the outbox and the ClickHouse spool on one Kafka
 * cluster, so any instance takes any request and any instance may die. Nothing on the instance's own disk is needed.
 * Opening it creates missing topics and reads the anomalies topic to its end; {@link #start} joins the consumer groups.
 */
public final class KafkaQueue implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaQueue.class);

    private final Admin admin;
    private final Producer<String, String> producer;
    private final AnomalyRecordView view;
    private final KafkaRowSpool spool;
    private final KafkaAnomalyRecords records;
    private final KafkaOutbox outbox;
    private final RowsTopicWriter rowsWriter;
    private final DependencyState state = new DependencyState("Kafka",
            "requests are answered 503 with Retry-After, one at a time trying Kafka", "cannot take writes", "takes writes again");

    /** @param maxWaiting requests that may wait for Kafka at once (see {@link KafkaWritability}) */
    public KafkaQueue(KafkaClients clients, KafkaTopics topics, ClickHouseWriter writer, int maxWaiting) {
        admin = Admin.create(clients.admin());
        try {
            topics.createMissing(admin, Duration.ofSeconds(60));
            producer = new KafkaProducer<>(clients.producer());
            view = new AnomalyRecordView(new KafkaConsumer<>(clients.consumer(null)), topics.anomalies(), admin);
            view.start();
            view.awaitCurrent(Deadline.in(Duration.ofSeconds(120)));
        } catch (RuntimeException e) {
            admin.close(Duration.ofSeconds(2));
            throw new IllegalStateException("Kafka mode cannot start: " + e.getMessage(), e);
        }
        KafkaWritability writability = new KafkaWritability(admin, List.of(topics.deliveries(), topics.anomalies(), topics.rows()), state,
                maxWaiting);
        spool = new KafkaRowSpool(topics, producer, writability, clients.acceptTimeout());
        records = new KafkaAnomalyRecords(topics, producer, view, spool, writability, clients.acceptTimeout());
        outbox = new KafkaOutbox(clients, topics, producer, view, spool, writability);
        rowsWriter = new RowsTopicWriter(clients, topics, writer);
        spool.depthFrom(rowsWriter::lag);
        LOG.info("Kafka mode: topics {}, {} and {}", topics.deliveries(), topics.anomalies(), topics.rows());
    }

    public AnomalyRecords records() {
        return records;
    }

    public Outbox outbox() {
        return outbox;
    }

    public RowSpool spool() {
        return spool;
    }

    /** Whether Kafka takes writes, for the log and infrasage_dependency_up{dependency="kafka"}. */
    public DependencyState state() {
        return state;
    }

    /** Joins the delivery and row-writing groups; new events wake the dispatcher. */
    public void start(Runnable onQueued) {
        outbox.onQueued(onQueued);
        outbox.start();
        rowsWriter.start();
    }

    @Override
    public void close() {
        for (AutoCloseable c : List.<AutoCloseable>of(outbox, rowsWriter, view, () -> producer.close(Duration.ofSeconds(5)),
                () -> admin.close(Duration.ofSeconds(5)))) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("error while closing Kafka clients: {}", e.getMessage());
            }
        }
    }
}
