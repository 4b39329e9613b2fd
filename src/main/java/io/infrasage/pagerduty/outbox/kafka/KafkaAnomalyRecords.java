package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.inhibition.InhibitionRule;
import io.infrasage.pagerduty.outbox.AcceptOutcome;
import io.infrasage.pagerduty.outbox.AcceptRequest;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.Inhibition;
import io.infrasage.pagerduty.outbox.NewAnomaly;
import io.infrasage.pagerduty.outbox.NewEvent;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Anomaly records in Kafka: any instance answers from its copy of the anomalies topic (read up to the topic's end
 * first, so it sees every fact written before the request), and writes the events, then the fact. Events go first:
 * a crash between the two leaves events without a fact, and the client's retry (no 202 yet) queues them again, which
 * PagerDuty's dedup key makes harmless; the other order would leave a fact without events, a page lost.
 * Two instances accepting the same new anomaly at the same moment both queue its triggers: PagerDuty keeps one
 * incident per dedup key, and the delivering instance never sends a trigger after its resolve (see {@link KafkaOutbox}).
 * <p>
 * Each call waits for Kafka within one deadline (INFRASAGE_ACCEPT_TIMEOUT): its turn, the topic read to its end and
 * every acknowledgement share it, so a request is answered in time, 503 when Kafka did not make it durable by then. A
 * request that reads an anomaly's record and then writes it (a runbook's resolve, acknowledge or change, a webhook's
 * resolution) makes two calls on one thread: the write continues the read's deadline.
 */
final class KafkaAnomalyRecords implements AnomalyRecords {

    /**
     * Requests for one anomaly at this instance take turns, so a second one reads the first one's fact. A batch takes
     * the turns of all its anomalies, always in index order, so two batches never wait for each other in a circle.
     */
    private final ReentrantLock[] turns = new ReentrantLock[64];

    private final KafkaTopics topics;
    private final KafkaClients clients;
    private final AnomalyRecordView view;
    private final KafkaRowSpool spool;
    private final KafkaWritability writability;
    private final Duration acceptTimeout;
    /** The last read on this thread: the write of the same anomaly that follows it (same request) keeps its deadline. */
    private final ThreadLocal<Read> lastRead = new ThreadLocal<>();

    private record Read(String anomalyId, Deadline deadline) {
    }

    KafkaAnomalyRecords(KafkaTopics topics, KafkaClients clients, AnomalyRecordView view, KafkaRowSpool spool,
                        KafkaWritability writability, Duration acceptTimeout) {
        this.topics = topics;
        this.clients = clients;
        this.view = view;
        this.spool = spool;
        this.writability = writability;
        this.acceptTimeout = acceptTimeout;
        for (int i = 0; i < turns.length; i++) {
            turns[i] = new ReentrantLock();
        }
    }

    /** One call: let in by the writability, in the turns of its anomalies, every wait for Kafka within one deadline. */
    private <T> T call(Collection<String> anomalyIds, Deadline deadline, Function<Deadline, T> work) {
        try (KafkaWritability.Pass pass = writability.admit()) {
            int[] slots = anomalyIds.stream().mapToInt(id -> Math.floorMod(id.hashCode(), turns.length)).distinct().sorted().toArray();
            int taken = 0;
            try {
                for (int i : slots) {
                    if (!turns[i].tryLock(deadline.remainingNanos(), TimeUnit.NANOSECONDS)) {
                        throw new KafkaUnavailableException("Kafka did not answer within " + deadline.described()
                                + ": an earlier request for the same anomaly is still waiting for it", null);
                    }
                    taken++;
                }
                return work.apply(deadline);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KafkaUnavailableException("interrupted while waiting for Kafka", e);
            } finally {
                for (int i = taken - 1; i >= 0; i--) {
                    turns[slots[i]].unlock();
                }
            }
        }
    }

    /** A call of its own: a deadline of its own. */
    private <T> T call(Collection<String> anomalyIds, Function<Deadline, T> work) {
        lastRead.remove();
        return call(anomalyIds, Deadline.in(acceptTimeout), work);
    }

    /** A write of one anomaly: the deadline of the read of it just before on this thread, if any. */
    private <T> T write(String anomalyId, Function<Deadline, T> work) {
        Read read = lastRead.get();
        lastRead.remove();
        boolean sameRequest = read != null && read.anomalyId().equals(anomalyId);
        return call(List.of(anomalyId), sameRequest ? read.deadline() : Deadline.in(acceptTimeout), work);
    }

    @Override
    public Optional<AnomalyRecord> find(String anomalyId) {
        Deadline deadline = Deadline.in(acceptTimeout);
        lastRead.set(new Read(anomalyId, deadline));
        return call(List.of(), deadline, d -> current(d).find(anomalyId));
    }

    /** This instance's copy of the anomalies topic, once it holds every fact written before the call. */
    private AnomalyRecordView current(Deadline deadline) {
        try {
            view.awaitCurrent(deadline);
            return view;
        } catch (KafkaUnavailableException e) {
            throw writability.unwritable(e);
        }
    }

    @Override
    public Optional<List<Long>> resolve(String anomalyId, String resolvedBy, List<NewEvent> events, List<Row> rows) {
        return write(anomalyId, deadline -> {
            Optional<AnomalyRecord> known = current(deadline).find(anomalyId);
            if (known.isEmpty() || known.get().resolved()) {
                return Optional.empty();
            }
            List<Long> seqs = queue(anomalyId, known.get().dedupKey(), events, rows, deadline);
            writability.acked(send(new ProducerRecord<>(topics.anomalies(), AnomalyFacts.resolutionKey(anomalyId),
                    AnomalyFacts.write(new AnomalyFacts.Resolution(resolvedBy, "runbook", System.currentTimeMillis()))), deadline), deadline);
            releaseSymptomsOf(anomalyId, deadline);
            return Optional.of(seqs);
        });
    }

    /**
     * Every anomaly of the list, decided in order against this instance's view (read up to the topic's end first) and
     * the anomalies given earlier in the list, with two waits for the whole list instead of two per anomaly: first
     * Kafka takes every held trigger, delivery and row, then every a/ fact. So each anomaly's events are in Kafka
     * before its fact, as for one anomaly: a failure in between leaves events without facts (no 202 was given; the
     * client's retry queues them again, which PagerDuty's dedup key makes harmless), never a fact without its events.
     * <p>
     * Symptom inhibition across instances: the held triggers (h/ facts) go before the a/ fact naming the root cause.
     * Deciding and resolving may happen at two instances at once, so each side writes its own fact first and reads
     * the other's after: the resolving instance writes r/ and then looks for held symptoms; this one writes a/ and
     * then looks whether the root cause got resolved meanwhile. Kafka's log order means at least one of the two sees
     * the other and queues the held triggers. Both may: a trigger queued twice is one incident at PagerDuty.
     */
    @Override
    public List<AcceptOutcome> acceptAll(List<AcceptRequest> requests, List<Row> unpagedRows) {
        return call(requests.stream().map(r -> r.anomaly().anomalyId()).toList(), deadline -> {
            current(deadline);
            long now = System.currentTimeMillis();
            Map<String, AnomalyRecord> earlier = new HashMap<>();
            List<NewAnomaly> earlierRootCauses = new ArrayList<>();
            List<AcceptOutcome> outcomes = new ArrayList<>(requests.size());
            List<Pending> pending = new ArrayList<>();
            List<Future<RecordMetadata>> others = new ArrayList<>(spool.send(unpagedRows, deadline));
            for (AcceptRequest r : requests) {
                NewAnomaly a = r.anomaly();
                Optional<AnomalyRecord> known = view.known(a.anomalyId()) ? view.find(a.anomalyId())
                        : Optional.ofNullable(earlier.get(a.anomalyId()));
                if (known.isPresent()) {
                    outcomes.add(AcceptOutcome.known(known.get()));
                    continue;
                }
                Optional<String> rootCause = r.inhibition() && !r.inhibitable().isEmpty()
                        ? InhibitionRule.rootCauseOf(a, rootCausesNaming(a.service(), r.rootCauseSinceMillis(), earlierRootCauses, now))
                        : Optional.empty();
                List<NewEvent> queuedNow = new ArrayList<>(r.pagedAnyway());
                if (rootCause.isPresent()) {
                    for (NewEvent e : r.inhibitable()) {
                        others.add(send(new ProducerRecord<>(topics.anomalies(), AnomalyFacts.heldKey(a.anomalyId(), e.routingKey()),
                                AnomalyFacts.write(new AnomalyFacts.Held(e.routingKey(), e.team(), e.action(), e.body()))), deadline));
                    }
                } else {
                    queuedNow.addAll(r.inhibitable());
                    if (r.inhibition()) {
                        earlierRootCauses.add(a);
                    }
                }
                List<Future<RecordMetadata>> deliveries = sendDeliveries(a.anomalyId(), a.dedupKey(), queuedNow, now, deadline);
                others.addAll(spool.send(r.rows().of(rootCause), deadline));
                pending.add(new Pending(r, rootCause, deliveries, outcomes.size()));
                outcomes.add(null);
                earlier.put(a.anomalyId(), new AnomalyRecord(a.anomalyId(), a.dedupKey(), a.targets(), a.severity(),
                        rootCause.isPresent() ? Inhibition.INHIBITED : "queued", null, null, null));
            }
            List<List<Long>> seqs = new ArrayList<>();
            for (Pending p : pending) {
                seqs.add(p.deliveries().stream().map(f -> awaitSeq(f, deadline)).toList());
            }
            others.forEach(f -> writability.acked(f, deadline));
            List<Future<RecordMetadata>> facts = new ArrayList<>();
            for (Pending p : pending) {
                NewAnomaly a = p.request().anomaly();
                AnomalyFacts.Accepted fact = p.request().inhibition()
                        ? new AnomalyFacts.Accepted(a.dedupKey(), a.targets(), a.severity(), now, a.service(), a.blastRadius(),
                                p.rootCause().orElse(null))
                        : new AnomalyFacts.Accepted(a.dedupKey(), a.targets(), a.severity(), now);
                facts.add(send(new ProducerRecord<>(topics.anomalies(), AnomalyFacts.acceptedKey(a.anomalyId()), AnomalyFacts.write(fact)),
                        deadline));
            }
            facts.forEach(f -> writability.acked(f, deadline));
            if (pending.stream().anyMatch(p -> p.rootCause().isPresent())) {
                current(deadline);
                for (Pending p : pending) {
                    if (p.rootCause().isPresent() && view.heldNoLonger(p.rootCause().get())) {
                        release(p.request().anomaly().anomalyId(), p.rootCause().get(), deadline);
                    }
                }
            }
            for (int i = 0; i < pending.size(); i++) {
                Pending p = pending.get(i);
                outcomes.set(p.index(), AcceptOutcome.accepted(new Inhibition.Acceptance(seqs.get(i), p.rootCause())));
            }
            return outcomes;
        });
    }

    /** An anomaly accepted, its deliveries produced, its fact not yet: where its outcome goes in the list. */
    private record Pending(AcceptRequest request, Optional<String> rootCause, List<Future<RecordMetadata>> deliveries, int index) {
    }

    /** The root causes for a service: those of this instance's view, then those paged earlier in the same list. */
    private List<InhibitionRule.RootCause> rootCausesNaming(String service, long sinceMillis, List<NewAnomaly> earlier, long now) {
        List<InhibitionRule.RootCause> candidates = new ArrayList<>(view.rootCausesNaming(service, sinceMillis));
        for (NewAnomaly candidate : earlier) {
            if (candidate.blastRadius().contains(service)) {
                candidates.add(new InhibitionRule.RootCause(candidate.anomalyId(), candidate.service(), candidate.severity(), now));
            }
        }
        return candidates;
    }

    @Override
    public void triggerRefused(String anomalyId) {
        call(List.of(), deadline -> {
            writability.acked(send(new ProducerRecord<>(topics.anomalies(), AnomalyFacts.refusedKey(anomalyId),
                    AnomalyFacts.json(Map.of("at", System.currentTimeMillis()))), deadline), deadline);
            releaseSymptomsOf(anomalyId, deadline);
            return null;
        });
    }

    /** After a root cause's resolution is in Kafka: its held symptoms still open page now; the others are let go. */
    private void releaseSymptomsOf(String rootCauseId, Deadline deadline) {
        for (String symptom : current(deadline).heldSymptomsOf(rootCauseId)) {
            release(symptom, rootCauseId, deadline);
        }
    }

    private void release(String symptomId, String rootCauseId, Deadline deadline) {
        Optional<AnomalyRecord> symptom = view.find(symptomId);
        if (symptom.isPresent() && !symptom.get().resolved()) {
            List<NewEvent> events = view.heldTriggers(symptomId).stream()
                    .map(h -> new NewEvent(h.routingKey(), h.team(), h.action(), h.body())).toList();
            queue(symptomId, symptom.get().dedupKey(), events, Inhibition.released(symptomId, rootCauseId, Instant.now()), deadline);
        }
        writability.acked(send(new ProducerRecord<>(topics.anomalies(), AnomalyFacts.releasedKey(symptomId),
                AnomalyFacts.json(Map.of("root_cause", rootCauseId, "at", System.currentTimeMillis()))), deadline), deadline);
    }

    /** Same as resolve: one turn per anomaly at this instance, the record read up to the topic's end first. */
    @Override
    public Optional<List<Long>> follow(String anomalyId, boolean whileOpen, List<NewEvent> events, List<Row> rows) {
        return write(anomalyId, deadline -> {
            Optional<AnomalyRecord> known = current(deadline).find(anomalyId);
            if (known.isEmpty() || whileOpen && known.get().resolved()) {
                return Optional.empty();
            }
            return Optional.of(queue(anomalyId, known.get().dedupKey(), events, rows, deadline));
        });
    }

    @Override
    public Optional<List<Long>> resendResolve(String anomalyId, List<NewEvent> events, List<Row> rows) {
        return write(anomalyId, deadline -> {
            Optional<AnomalyRecord> known = current(deadline).find(anomalyId);
            if (known.isEmpty() || known.get().runbook().isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(queue(anomalyId, known.get().dedupKey(), events, rows, deadline));
        });
    }

    /** Queued triggers are dropped by the delivering instance when they come up (it reads this fact); none at once. */
    @Override
    public int resolvedInPagerDuty(String anomalyId, String resolvedBy, String resolvedByKind) {
        return write(anomalyId, deadline -> {
            current(deadline);
            if (view.known(anomalyId) && view.resolution(anomalyId).isEmpty()) {
                writability.acked(send(new ProducerRecord<>(topics.anomalies(), AnomalyFacts.resolutionKey(anomalyId),
                        AnomalyFacts.write(new AnomalyFacts.Resolution(resolvedBy, resolvedByKind, System.currentTimeMillis()))), deadline), deadline);
                releaseSymptomsOf(anomalyId, deadline);
            }
            return 0;
        });
    }

    /** Produces the events (key = routing key) and rows, and waits until Kafka has every one (acks=all). */
    private List<Long> queue(String anomalyId, String dedupKey, List<NewEvent> events, List<Row> rows, Deadline deadline) {
        List<Future<RecordMetadata>> sent = sendDeliveries(anomalyId, dedupKey, events, System.currentTimeMillis(), deadline);
        List<Future<RecordMetadata>> spooled = spool.send(rows, deadline);
        List<Long> seqs = sent.stream().map(f -> awaitSeq(f, deadline)).toList();
        spooled.forEach(f -> writability.acked(f, deadline));
        return seqs;
    }

    private List<Future<RecordMetadata>> sendDeliveries(String anomalyId, String dedupKey, List<NewEvent> events, long now,
                                                        Deadline deadline) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (NewEvent e : events) {
            sent.add(send(DeliveryRecord.record(topics.deliveries(), anomalyId, dedupKey, e, now), deadline));
        }
        return sent;
    }

    private Future<RecordMetadata> send(ProducerRecord<String, String> record, Deadline deadline) {
        deadline.beforeSend();
        return clients.producer().send(record);
    }

    /** The delivery's place in Kafka, once Kafka has it. */
    private long awaitSeq(Future<RecordMetadata> delivery, Deadline deadline) {
        RecordMetadata m = writability.acked(delivery, deadline);
        return DeliveryRecord.seq(m.partition(), m.offset());
    }
}
