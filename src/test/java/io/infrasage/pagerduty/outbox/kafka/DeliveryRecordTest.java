package io.infrasage.pagerduty.outbox.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import io.infrasage.pagerduty.outbox.NewEvent;
import io.infrasage.pagerduty.outbox.OutboxEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** A delivery as the accepting instance writes it is the event the delivering instance reads, its trace included. */
class DeliveryRecordTest {

    static OutboxEvent roundTrip(NewEvent e) {
        ProducerRecord<String, String> sent = DeliveryRecord.record("deliveries", "anom-1", "infrasage-anom-1", e, 1000);
        ConsumerRecord<String, String> received = new ConsumerRecord<>(sent.topic(), 1, 42, 0L, TimestampType.CREATE_TIME, 0, 0,
                sent.key(), sent.value(), sent.headers(), Optional.empty());
        return DeliveryRecord.read(received);
    }

    @Test
    void theTraceOfTheAcceptRidesInTheTraceparentHeader() {
        String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        OutboxEvent read = roundTrip(new NewEvent("K".repeat(32), "payments", "trigger", "{}", traceparent));
        assertThat(read.traceparent()).isEqualTo(traceparent);
        assertThat(read.anomalyId()).isEqualTo("anom-1");
        assertThat(read.routingKey()).isEqualTo("K".repeat(32));
        assertThat(read.createdAtMillis()).isEqualTo(1000);
        assertThat(read.seq()).isEqualTo(DeliveryRecord.seq(1, 42));
    }

    @Test
    void anEventQueuedWithoutTracingHasNoHeader() {
        ProducerRecord<String, String> sent = DeliveryRecord.record("deliveries", "anom-1", "infrasage-anom-1",
                new NewEvent("K".repeat(32), "payments", "trigger", "{}", null), 1000);
        assertThat(sent.headers().toArray()).isEmpty();
        assertThat(roundTrip(new NewEvent("K".repeat(32), "payments", "trigger", "{}", null)).traceparent()).isNull();
    }
}
