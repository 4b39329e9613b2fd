package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.function.LongSupplier;

import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.outbox.RowSpool;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Rows on their way to ClickHouse, in the clickhouse-rows topic; routes/kafka-clickhouse-rows.camel.yaml writes them. */
final class KafkaRowSpool implements RowSpool {

    private final KafkaTopics topics;
    private final KafkaClients clients;
    private final KafkaWritability writability;
    private final Duration acceptTimeout;
    private volatile LongSupplier depth = () -> 0;

    KafkaRowSpool(KafkaTopics topics, KafkaClients clients, KafkaWritability writability, Duration acceptTimeout) {
        this.topics = topics;
        this.clients = clients;
        this.writability = writability;
        this.acceptTimeout = acceptTimeout;
    }

    void depthFrom(LongSupplier lag) {
        this.depth = lag;
    }

    /** Sends the rows (key = anomaly id, so one anomaly's rows stay in order); the caller waits for the futures. */
    List<Future<RecordMetadata>> send(List<Row> rows, Deadline deadline) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (Row r : rows) {
            deadline.beforeSend();
            Object anomalyId = r.values().get("anomaly_id");
            sent.add(clients.producer().send(new ProducerRecord<>(topics.rows(), anomalyId == null ? null : anomalyId.toString(),
                    AnomalyFacts.json(Map.of("table", r.table(), "values", r.values())))));
        }
        return sent;
    }

    @Override
    public void spool(List<Row> rows) {
        Deadline deadline = Deadline.in(acceptTimeout);
        try (KafkaWritability.Pass pass = writability.admit()) {
            send(rows, deadline).forEach(f -> writability.acked(f, deadline));
        }
    }

    /** None: the rows topic's consumer writes them as soon as Kafka has them. */
    @Override
    public List<Spooled> spooled(int limit) {
        return List.of();
    }

    @Override
    public void unspool(long upToSeqInclusive) {
        // nothing is spooled here
    }

    @Override
    public long depth() {
        return depth.getAsLong();
    }
}
