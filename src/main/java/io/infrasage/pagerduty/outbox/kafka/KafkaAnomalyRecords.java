package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.Inhibition;
import io.infrasage.pagerduty.outbox.NewAnomaly;
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
            releaseSymptomsOf(anomalyId);
            return Optional.of(seqs);
        }
    }

    /**
     * Symptom inhibition across instances. The held triggers (h/ facts), the events paged anyway and the rows go first,
     * then the a/ fact naming the root cause. Deciding and resolving may happen at two instances at once, so each side
     * writes its own fact first and reads the other's after: the resolving instance writes r/ and then looks for held
     * symptoms; this one writes a/ and then looks whether the root cause got resolved meanwhile. Kafka's log order
     * means at least one of the two sees the other and queues the held triggers. Both may: a trigger queued twice is
     * one incident at PagerDuty (same dedup key).
     */
    @Override
    public Optional<Inhibition.Acceptance> acceptOrInhibit(NewAnomaly a, long rootCauseSinceMillis, List<NewEvent> pagedAnyway,
                                                           List<NewEvent> inhibitable, Inhibition.Rows rows) {
        synchronized (turnOf(a.anomalyId())) {
            view.awaitCurrent(KAFKA_WAIT);
            if (view.known(a.anomalyId())) {
                return Optional.empty();
            }
            Optional<String> rootCause = inhibitable.isEmpty() ? Optional.empty()
                    : view.openRootCauseOf(a.service(), a.anomalyId(), rootCauseSinceMillis);
            List<NewEvent> now = new ArrayList<>(pagedAnyway);
            if (rootCause.isPresent()) {
                List<Future<RecordMetadata>> held = new ArrayList<>();
                for (NewEvent e : inhibitable) {
                    held.add(producer.send(new ProducerRecord<>(topics.anomalies(), AnomalyFacts.heldKey(a.anomalyId(), e.routingKey()),
                            AnomalyFacts.write(new AnomalyFacts.Held(e.routingKey(), e.team(), e.action(), e.body())))));
                }
                held.forEach(KafkaAnomalyRecords::await);
            } else {
                now.addAll(inhibitable);
            }
            List<Long> seqs = queue(a.anomalyId(), a.dedupKey(), now, rows.of(rootCause));
            await(producer.send(new ProducerRecord<>(topics.anomalies(), AnomalyFacts.acceptedKey(a.anomalyId()),
                    AnomalyFacts.write(new AnomalyFacts.Accepted(a.dedupKey(), a.targets(), a.severity(), System.currentTimeMillis(),
                            a.service(), a.blastRadius(), rootCause.orElse(null))))));
            if (rootCause.isPresent()) {
                view.awaitCurrent(KAFKA_WAIT);
                if (view.heldNoLonger(rootCause.get())) {
                    release(a.anomalyId(), rootCause.get());
                }
            }
            return Optional.of(new Inhibition.Acceptance(seqs, rootCause));
        }
    }

    @Override
    public void triggerRefused(String anomalyId) {
        await(producer.send(new ProducerRecord<>(topics.anomalies(), AnomalyFacts.refusedKey(anomalyId),
                AnomalyFacts.json(Map.of("at", System.currentTimeMillis())))));
        releaseSymptomsOf(anomalyId);
    }

    /** After a root cause's resolution is in Kafka: its held symptoms still open page now; the others are let go. */
    private void releaseSymptomsOf(String rootCauseId) {
        view.awaitCurrent(KAFKA_WAIT);
        for (String symptom : view.heldSymptomsOf(rootCauseId)) {
            release(symptom, rootCauseId);
        }
    }

    private void release(String symptomId, String rootCauseId) {
        Optional<AnomalyRecord> symptom = view.find(symptomId);
        if (symptom.isPresent() && !symptom.get().resolved()) {
            List<NewEvent> events = view.heldTriggers(symptomId).stream()
                    .map(h -> new NewEvent(h.routingKey(), h.team(), h.action(), h.body())).toList();
            queue(symptomId, symptom.get().dedupKey(), events, Inhibition.released(symptomId, rootCauseId, Instant.now()));
        }
        await(producer.send(new ProducerRecord<>(topics.anomalies(), AnomalyFacts.releasedKey(symptomId),
                AnomalyFacts.json(Map.of("root_cause", rootCauseId, "at", System.currentTimeMillis())))));
    }

    /** Same as resolve: one turn per anomaly at this instance, the record read up to the topic's end first. */
    @Override
    public Optional<List<Long>> follow(String anomalyId, boolean whileOpen, List<NewEvent> events, List<Row> rows) {
        synchronized (turnOf(anomalyId)) {
            Optional<AnomalyRecord> known = find(anomalyId);
            if (known.isEmpty() || whileOpen && known.get().resolved()) {
                return Optional.empty();
            }
            return Optional.of(queue(anomalyId, known.get().dedupKey(), events, rows));
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
            releaseSymptomsOf(anomalyId);
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
