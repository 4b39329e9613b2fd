package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.List;

import io.infrasage.pagerduty.DependencyState;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.Outbox;
import io.infrasage.pagerduty.outbox.RowSpool;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka adapter (INFRASAGE_QUEUE=kafka): the anomaly records, the outbox and the ClickHouse spool on one Kafka
 * cluster, so any instance takes any request and any instance may die. Nothing on the instance's own disk is needed.
 * {@link #start} (once Camel has configured its Kafka component) creates missing topics, reads the anomalies topic to
 * its end and joins the delivery group, its consumers on Camel's threads; routes/kafka-clickhouse-rows.camel.yaml
 * writes the rows topic to ClickHouse.
 */
public final class KafkaQueue implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaQueue.class);

    private final KafkaClients clients;
    private final KafkaTopics topics;
    private final ExecutorServiceManager threads;
    private final AnomalyRecordView view;
    private final KafkaRowSpool spool;
    private final KafkaAnomalyRecords records;
    private final KafkaOutbox outbox;
    private final DependencyState state = new DependencyState("Kafka",
            "requests are answered 503 with Retry-After, one at a time trying Kafka", "cannot take writes", "takes writes again");

    /**
     * @param maxWaiting requests that may wait for Kafka at once (see {@link KafkaWritability})
     * @param threads    Camel's, which runs the consumers and shuts them down with the context
     */
    public KafkaQueue(KafkaClients clients, KafkaTopics topics, int maxWaiting, ExecutorServiceManager threads) {
        this.clients = clients;
        this.topics = topics;
        this.threads = threads;
        KafkaWritability writability = new KafkaWritability(clients::admin,
                List.of(topics.deliveries(), topics.anomalies(), topics.rows()), state, maxWaiting);
        view = new AnomalyRecordView(topics.anomalies(), clients::admin, clients.acceptTimeout());
        spool = new KafkaRowSpool(topics, clients, writability, clients.acceptTimeout());
        records = new KafkaAnomalyRecords(topics, clients, view, spool, writability, clients.acceptTimeout());
        outbox = new KafkaOutbox(clients, topics, view, spool, writability);
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

    /** The rows route's ClickHouse depth: rows read from Kafka and not yet written. */
    public void rowsWaiting(java.util.function.LongSupplier waiting) {
        spool.depthFrom(waiting);
    }

    /** Whether Kafka takes writes, for the log and infrasage_dependency_up{dependency="kafka"}. */
    public DependencyState state() {
        return state;
    }

    /** Creates missing topics, reads the anomalies topic to its end, joins the delivery group; new events wake the dispatcher. */
    public void start(Runnable onQueued) {
        try {
            topics.createMissing(clients.admin(), Duration.ofSeconds(60));
            List.of(topics.deliveries(), topics.anomalies(), topics.rows()).forEach(this::learnPartitions);
            view.start(clients.consumer(null), threads);
            view.awaitCurrent(Deadline.in(Duration.ofSeconds(120)));
        } catch (RuntimeException e) {
            close();
            throw new IllegalStateException("Kafka mode cannot start: " + e.getMessage(), e);
        }
        outbox.onQueued(onQueued);
        outbox.start(threads);
        LOG.info("Kafka mode: topics {}, {} and {}", topics.deliveries(), topics.anomalies(), topics.rows());
    }

    /** The producer learns a topic's partitions now rather than at the first accept, which waits for them at most max.block.ms. */
    private void learnPartitions(String topic) {
        try {
            clients.producer().partitionsFor(topic);
        } catch (KafkaException e) {
            LOG.debug("partitions of {} not known yet ({}): the first send asks again", topic, e.getMessage());
        }
    }

    @Override
    public void close() {
        for (AutoCloseable c : List.<AutoCloseable>of(outbox, view, clients)) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("error while closing Kafka clients: {}", e.getMessage());
            }
        }
    }
}
