package io.infrasage.pagerduty.outbox.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.outbox.NewEvent;
import io.infrasage.pagerduty.outbox.OutboxEvent;
import io.infrasage.pagerduty.tracing.Traceparent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * One record of the deliveries topic: key = routing key, value = the event as JSON. Its outbox sequence number is its
 * place in Kafka (partition, offset), the same on every instance and after every failover, so the ClickHouse rows of
 * a re-sent event carry the same ids and replace each other instead of adding up.
 */
final class DeliveryRecord {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int OFFSET_BITS = 40;

    private DeliveryRecord() {
    }

    static long seq(int partition, long offset) {
        return ((long) partition << OFFSET_BITS) | offset;
    }

    static int partition(long seq) {
        return (int) (seq >>> OFFSET_BITS);
    }

    static long offset(long seq) {
        return seq & ((1L << OFFSET_BITS) - 1);
    }

    private static String write(String anomalyId, String dedupKey, NewEvent e, long createdAt) {
        return AnomalyFacts.json(Map.of("anomaly_id", anomalyId, "dedup_key", dedupKey, "team", e.team(), "action", e.action(),
                "body", e.body(), "created_at", createdAt));
    }

    /** The record for the deliveries topic; the trace the delivery joins rides in a header, as Kafka tracing does. */
    static ProducerRecord<String, String> record(String topic, String anomalyId, String dedupKey, NewEvent e, long createdAt) {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, e.routingKey(), write(anomalyId, dedupKey, e, createdAt));
        if (e.traceparent() != null) {
            record.headers().add(Traceparent.HEADER, e.traceparent().getBytes(StandardCharsets.UTF_8));
        }
        return record;
    }

    private static String traceparent(ConsumerRecord<String, String> r) {
        Header h = r.headers().lastHeader(Traceparent.HEADER);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    static OutboxEvent read(ConsumerRecord<String, String> r) {
        try {
            Map<String, Object> m = JSON.readValue(r.value(), new TypeReference<>() { });
            return new OutboxEvent(seq(r.partition(), r.offset()), (String) m.get("anomaly_id"), (String) m.get("dedup_key"), r.key(),
                    (String) m.get("team"), (String) m.get("action"), (String) m.get("body"), 0, ((Number) m.get("created_at")).longValue(), traceparent(r));
        } catch (Exception e) {
            throw new IllegalStateException("unreadable delivery record at " + r.topic() + "-" + r.partition() + "@" + r.offset()
                    + ": " + e.getMessage(), e);
        }
    }
}
