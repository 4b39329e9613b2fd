package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.NewEvent;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Anomaly records in Kafka: any instance answers from its copy of the anomalies topic (read up to the topic's end
 * first, so it sees every fact written before the request), and writes the events, then the fact. Events go first:
 * a crash between the two leaves events without a fact, and the client's retry (no 202 yet) queues them again, which
 * PagerDuty's dedup key makes harmless; the other order would leave a fact without events, a page lost.
 * Two instances accepting the same new anomaly at the same moment both queue its triggers: PagerDuty keeps one
 * incident per dedup key, and the delivering instance never sends a trigger after its resolve (see {@link KafkaOutbox}).
 */
final class KafkaAnomalyRecords implements AnomalyRecords {

    static final Duration KAFKA_WAIT = Duration.ofSeconds(15);
    /** Requests for one anomaly at this instance take turns, so a second one reads the first one's fact. */
    private final Object[] turns = new Object[64];

    private final KafkaTopics topics;
    private final Producer<String, String> producer;
    private final AnomalyRecordView view;
    private final KafkaRowSpool spool;

    KafkaAnomalyRecords(KafkaTopics topics, Producer<String, String> producer, AnomalyRecordView view, KafkaRowSpool spool) {
        this.topics = topics;
        this.producer = producer;
        this.view = view;
        this.spool = spool;
        for (int i = 0; i < turns.length; i++) {
            turns[i] = new Object();
        }
    }

    private Object turnOf(String anomalyId) {
        return turns[Math.floorMod(anomalyId.hashCode(), turns.length)];
    }

    @Override
    public Optional<AnomalyRecord> find(String anomalyId) {
        view.awaitCurrent(KAFKA_WAIT);
        return view.find(anomalyId);
    }

    @Override
    public Optional<List<Long>> accept(String anomalyId, String dedupKey, List<RoutingTarget> targets, String severity,
                                       String status, List<NewEvent> events, List<Row> rows) {
        synchronized (turnOf(anomalyId)) {
            view.awaitCurrent(KAFKA_WAIT);
            if (view.known(anomalyId)) {
                return Optional.empty();
            }
            List<Long> seqs = queue(anomalyId, dedupKey, events, rows);
            await(producer.send(new ProducerRecord<>(topics.anomalies(), AnomalyFacts.acceptedKey(anomalyId),
                    AnomalyFacts.write(new AnomalyFacts.Accepted(dedupKey, targets, severity, System.currentTimeMillis())))));
            return Optional.of(seqs);
        }
    }

    @Override
    public Optional<List<Long>> resolve(String anomalyId, String resolvedBy, List<NewEvent> events, List<Row> rows) {
        synchronized (turnOf(anomalyId)) {
            Optional<AnomalyRecord> known = find(anomalyId);
            if (known.isEmpty() || known.get().resolved()) {
                return Optional.empty();
            }
            List<Long> seqs = queue(anomalyId, known.get().dedupKey(), events, rows);
            await(producer.send(new ProducerRecord<>(topics.anomalies(), AnomalyFacts.resolutionKey(anomalyId),
                    AnomalyFacts.write(new AnomalyFacts.Resolution(resolvedBy, "runbook", System.currentTimeMillis())))));
            return Optional.of(seqs);
        }
    }

    @Override
    public Optional<List<Long>> resendResolve(String anomalyId, List<NewEvent> events, List<Row> rows) {
        synchronized (turnOf(anomalyId)) {
            Optional<AnomalyRecord> known = find(anomalyId);
            if (known.isEmpty() || known.get().runbook().isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(queue(anomalyId, known.get().dedupKey(), events, rows));
        }
    }

    /** Queued triggers are dropped by the delivering instance when they come up (it reads this fact); none at once. */
    @Override
    public int resolvedInPagerDuty(String anomalyId, String resolvedBy, String resolvedByKind) {
        view.awaitCurrent(KAFKA_WAIT);
        if (view.known(anomalyId) && view.resolution(anomalyId).isEmpty()) {
            await(producer.send(new ProducerRecord<>(topics.anomalies(), AnomalyFacts.resolutionKey(anomalyId),
                    AnomalyFacts.write(new AnomalyFacts.Resolution(resolvedBy, resolvedByKind, System.currentTimeMillis())))));
        }
        return 0;
    }

    /** Produces the events (key = routing key) and rows, and waits until Kafka has every one (acks=all). */
    private List<Long> queue(String anomalyId, String dedupKey, List<NewEvent> events, List<Row> rows) {
        long now = System.currentTimeMillis();
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (NewEvent e : events) {
            sent.add(producer.send(new ProducerRecord<>(topics.deliveries(), e.routingKey(),
                    DeliveryRecord.write(anomalyId, dedupKey, e, now))));
        }
        List<Future<RecordMetadata>> spooled = spool.send(rows);
        List<Long> seqs = new ArrayList<>();
        for (Future<RecordMetadata> f : sent) {
            RecordMetadata m = await(f);
            seqs.add(DeliveryRecord.seq(m.partition(), m.offset()));
        }
        spooled.forEach(KafkaAnomalyRecords::await);
        return seqs;
    }

    static RecordMetadata await(Future<RecordMetadata> f) {
        try {
            return f.get(KAFKA_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted while Kafka took a record", e);
        } catch (Exception e) {
            throw new KafkaUnavailableException("Kafka did not take the record: " + e.getMessage(), e);
        }
    }
}
