package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.clickhouse.ClickHouseWriter;
import io.infrasage.pagerduty.clickhouse.Row;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the clickhouse-rows topic to ClickHouse in batches, one consumer group across the instances, committing each
 * batch's offsets only once ClickHouse has it. While ClickHouse is down the rows wait in Kafka. A batch written again
 * after a crash carries the same row ids (ReplacingMergeTree keeps one).
 */
final class RowsTopicWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RowsTopicWriter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> ROW = new TypeReference<>() { };
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    private final KafkaConsumer<String, String> consumer;
    private final String topic;
    private final ClickHouseWriter writer;
    private volatile long lag;
    private volatile boolean running;
    private Thread thread;

    RowsTopicWriter(KafkaClients clients, KafkaTopics topics, ClickHouseWriter writer) {
        this.consumer = new KafkaConsumer<>(clients.consumer(topics.rowsGroup()));
        this.topic = topics.rows();
        this.writer = writer;
    }

    /** Rows in the topic not yet written by this instance's share of the group (an estimate between polls). */
    long lag() {
        return lag;
    }

    void start() {
        consumer.subscribe(List.of(topic));
        running = true;
        thread = new Thread(this::loop, "kafka-clickhouse-rows");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        long backoff = 500;
        try {
            while (running) {
                ConsumerRecords<String, String> records;
                try {
                    records = consumer.poll(Duration.ofMillis(500));
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    LOG.error("reading rows from Kafka failed, trying again in 1 s: {}", e.getMessage());
                    Thread.sleep(1000);
                    continue;
                }
                if (records.isEmpty()) {
                    lag = 0;
                    continue;
                }
                List<Row> rows = new ArrayList<>();
                Map<TopicPartition, Long> first = new HashMap<>();
                Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                for (ConsumerRecord<String, String> r : records) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    first.putIfAbsent(tp, r.offset());
                    next.put(tp, new OffsetAndMetadata(r.offset() + 1));
                    try {
                        Map<String, Object> m = JSON.readValue(r.value(), ROW);
                        @SuppressWarnings("unchecked")
                        Map<String, Object> values = (Map<String, Object>) m.get("values");
                        rows.add(new Row((String) m.get("table"), values));
                    } catch (Exception e) {
                        LOG.error("unreadable row at {}-{}@{} skipped: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
                    }
                }
                lag = records.count();
                try {
                    writer.write(rows, Duration.ofSeconds(30));
                    // a failed commit (a rebalance) only means the batch is written again, with the same row ids
                    consumer.commitSync(next);
                    backoff = 500;
                } catch (RuntimeException e) {
                    LOG.warn("state rows wait in Kafka ({} in this batch): {}", rows.size(), e.getMessage());
                    first.forEach(consumer::seek);
                    Thread.sleep(backoff);
                    backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
                }
            }
        } catch (WakeupException | InterruptedException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
    }
}
