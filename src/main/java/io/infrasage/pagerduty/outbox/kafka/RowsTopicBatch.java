package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.clickhouse.ClickHouseWriter;
import io.infrasage.pagerduty.clickhouse.Row;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One batch of the clickhouse-rows topic as routes/kafka-clickhouse-rows.camel.yaml takes it: its rows, their write to
 * ClickHouse, and the commit of its offsets once ClickHouse has them. A batch written again (after a crash, or a commit
 * lost to a rebalance) carries the same row ids, so ReplacingMergeTree keeps one.
 */
public final class RowsTopicBatch {

    private static final Logger LOG = LoggerFactory.getLogger(RowsTopicBatch.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> ROW = new TypeReference<>() { };
    /** One write's wait; the route's redeliveries, not this, carry the rows over a ClickHouse outage. */
    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

    private final ClickHouseWriter writer;
    private volatile long waiting;

    public RowsTopicBatch(ClickHouseWriter writer) {
        this.writer = writer;
    }

    /** Rows read from Kafka and not yet in ClickHouse at this instance (the batch in hand). */
    public long waiting() {
        return waiting;
    }

    /** The batch's rows; a record that is no row is logged and skipped (it would stop the topic for good). */
    public List<Row> rows(List<Exchange> records) {
        List<Row> rows = new ArrayList<>(records.size());
        for (Exchange record : records) {
            Message m = record.getMessage();
            try {
                Map<String, Object> row = JSON.readValue(m.getBody(String.class), ROW);
                @SuppressWarnings("unchecked")
                Map<String, Object> values = (Map<String, Object>) row.get("values");
                rows.add(new Row((String) row.get("table"), values));
            } catch (Exception e) {
                LOG.error("unreadable row at {}-{}@{} skipped: {}", m.getHeader(KafkaConstants.TOPIC), m.getHeader(KafkaConstants.PARTITION),
                        m.getHeader(KafkaConstants.OFFSET), e.getMessage());
            }
        }
        waiting = records.size();
        return rows;
    }

    /** Returns once ClickHouse has persisted every row; fails (the route retries) otherwise. */
    public void write(List<Row> rows) {
        writer.write(rows, WRITE_TIMEOUT);
    }

    /** Commits each partition of the batch past its last record: the rows are in ClickHouse now. */
    public void commit(List<Exchange> records) {
        Map<Object, KafkaManualCommit> lastOfEachPartition = new LinkedHashMap<>();
        for (Exchange record : records) {
            Message m = record.getMessage();
            lastOfEachPartition.put(m.getHeader(KafkaConstants.TOPIC) + "-" + m.getHeader(KafkaConstants.PARTITION),
                    m.getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class));
        }
        lastOfEachPartition.values().forEach(KafkaManualCommit::commit);
        waiting = 0;
    }
}
