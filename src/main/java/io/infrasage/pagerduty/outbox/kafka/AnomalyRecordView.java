package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import io.infrasage.pagerduty.inhibition.InhibitionRule;
import io.infrasage.pagerduty.outbox.AnomalyRecord;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every instance's copy of the anomalies topic, read from its beginning into memory. {@link #awaitCurrent} makes a read
 * see every fact written before it began (it waits until this copy has reached the topic's end offsets of that
 * moment), so a resolve sent to one instance right after the trigger's 202 from another finds the trigger's record.
 */
final class AnomalyRecordView implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AnomalyRecordView.class);

    private final String topic;
    /** The topic's end offsets, asked for by every read: one ListOffsets out at a time, shared by the reads waiting. */
    private final CoalescedRequest<Map<TopicPartition, Long>> topicEnds;
    private final Map<String, AnomalyFacts.Accepted> accepted = new ConcurrentHashMap<>();
    private final Map<String, AnomalyFacts.Resolution> resolutions = new ConcurrentHashMap<>();
    private final Set<String> resolvesDelivered = ConcurrentHashMap.newKeySet();
    /** Symptom inhibition: the anomalies naming each service in their blast radius, held triggers, released symptoms. */
    private final Map<String, Set<String>> blastRadiusIndex = new ConcurrentHashMap<>();
    private final Map<String, Map<String, AnomalyFacts.Held>> held = new ConcurrentHashMap<>();
    private final Set<String> released = ConcurrentHashMap.newKeySet();
    private final Set<String> refused = ConcurrentHashMap.newKeySet();
    private final Map<String, Set<String>> symptomsByRootCause = new ConcurrentHashMap<>();
    /** How far this copy has read each partition (the next offset to read). */
    private final Map<TopicPartition, Long> positions = new ConcurrentHashMap<>();
    /** Advances after each poll: a reader waiting for positions to reach an offset waits for the next phase. */
    private final Phaser polled = new Phaser(1);
    private volatile List<TopicPartition> partitions = List.of();
    private volatile boolean running;
    private Consumer<String, String> consumer;
    private ExecutorServiceManager threads;
    private ExecutorService thread;

    AnomalyRecordView(String topic, Supplier<Admin> admin, Duration requestTimeout) {
        this.topic = topic;
        this.topicEnds = new CoalescedRequest<>(() -> {
            Map<TopicPartition, OffsetSpec> request = partitions.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()));
            return admin.get().listOffsets(request, new ListOffsetsOptions().timeoutMs((int) requestTimeout.toMillis())).all()
                    .toCompletionStage().toCompletableFuture()
                    .thenApply(answer -> answer.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset())));
        });
    }

    /** @param consumer a consumer outside any group: this copy reads every partition, from the beginning, on a Camel thread */
    void start(Consumer<String, String> consumer, ExecutorServiceManager threads) {
        this.consumer = consumer;
        this.threads = threads;
        partitions = partitionsOfTopic(Duration.ofSeconds(30));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        running = true;
        thread = threads.newSingleThreadExecutor(this, "kafka-anomaly-records");
        thread.execute(this::loop);
    }

    /**
     * The topic's partitions. Right after this instance created the topic, the metadata a consumer sees may list none
     * yet: assigned nothing, this copy would stay empty for good (every resolve at this instance answered 404), so wait
     * until Kafka lists them.
     */
    private List<TopicPartition> partitionsOfTopic(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<PartitionInfo> listed = consumer.partitionsFor(topic, timeout);
            if (listed != null && !listed.isEmpty()) {
                return listed.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Kafka lists no partitions of topic " + topic + " after " + timeout.toSeconds() + " s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the partitions of " + topic, e);
            }
        }
    }

    private void loop() {
        try {
            while (running) {
                try {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        try {
                            apply(r.key(), r.value());
                        } catch (IllegalStateException unreadable) {
                            LOG.error("{} at {}-{}@{}; skipped", unreadable.getMessage(), r.topic(), r.partition(), r.offset());
                        }
                    }
                    for (TopicPartition tp : consumer.assignment()) {
                        positions.put(tp, consumer.position(tp));
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    LOG.error("reading the anomalies topic failed, trying again in 1 s: {}", e.getMessage());
                    Thread.sleep(1000);
                }
                polled.arrive();
            }
        } catch (WakeupException | InterruptedException e) {
            // closing
        } finally {
            polled.forceTermination();
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Facts are only added; of two written at once for one key, the first read wins (all copies read the same order). */
    void apply(String key, String value) {
        if (key == null || value == null) {
            return;
        }
        String id = AnomalyFacts.anomalyIdOf(key);
        switch (key.charAt(0)) {
            case 'a' -> {
                AnomalyFacts.Accepted a = AnomalyFacts.readAccepted(value);
                if (accepted.putIfAbsent(id, a) == null) {
                    a.blastRadius().forEach(service -> blastRadiusIndex.computeIfAbsent(service, s -> ConcurrentHashMap.newKeySet()).add(id));
                    if (a.inhibitedBy() != null) {
                        symptomsByRootCause.computeIfAbsent(a.inhibitedBy(), r -> ConcurrentHashMap.newKeySet()).add(id);
                    }
                }
            }
            case 'r' -> resolutions.putIfAbsent(id, AnomalyFacts.readResolution(value));
            case 'd' -> resolvesDelivered.add(key);
            case 'h' -> {
                if (!released.contains(id)) { // partitions replay in any order: a release read first wins
                    held.computeIfAbsent(id, k -> new ConcurrentHashMap<>()).putIfAbsent(key, AnomalyFacts.readHeld(value));
                }
            }
            case 'n' -> refused.add(id);
            case 'x' -> {
                released.add(id);
                held.remove(id);
            }
            default -> LOG.warn("unknown fact in the anomalies topic, ignored: {}", key.charAt(0));
        }
    }

    /**
     * Waits until this copy holds every fact written before the call; fails when Kafka does not answer by the deadline.
     */
    void awaitCurrent(Deadline deadline) {
        if (deadline.passed()) {
            throw new KafkaUnavailableException("Kafka did not answer within " + deadline.described(), null);
        }
        Map<TopicPartition, Long> ends;
        try {
            ends = topicEnds.askedFromNow().get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted while waiting for Kafka", e);
        } catch (ExecutionException e) {
            throw new KafkaUnavailableException("Kafka did not answer with the anomalies topic's end: " + e.getCause().getMessage(), e);
        } catch (TimeoutException e) {
            throw new KafkaUnavailableException("Kafka did not answer with the anomalies topic's end within " + deadline.described(), e);
        }
        while (true) {
            // the phase is read before the positions: a poll that moves them past the ends also ends this phase
            int phase = polled.getPhase();
            if (reached(ends)) {
                return;
            }
            if (deadline.passed() || !running || phase < 0) {
                throw new KafkaUnavailableException("Kafka did not give the anomalies topic up to its end within "
                        + deadline.described(), null);
            }
            try {
                polled.awaitAdvanceInterruptibly(phase, deadline.remainingNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // the deadline passed: said above
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KafkaUnavailableException("interrupted while waiting for Kafka", e);
            }
        }
    }

    private boolean reached(Map<TopicPartition, Long> ends) {
        return ends.entrySet().stream().allMatch(e -> positions.getOrDefault(e.getKey(), 0L) >= e.getValue());
    }

    boolean known(String anomalyId) {
        return accepted.containsKey(anomalyId);
    }

    Optional<AnomalyFacts.Resolution> resolution(String anomalyId) {
        return Optional.ofNullable(resolutions.get(anomalyId));
    }

    Optional<AnomalyRecord> find(String anomalyId) {
        AnomalyFacts.Accepted a = accepted.get(anomalyId);
        if (a == null) {
            return Optional.empty();
        }
        AnomalyFacts.Resolution r = resolutions.get(anomalyId);
        String status = r != null ? "resolved" : a.inhibitedBy() != null && !released.contains(anomalyId) ? "inhibited" : "queued";
        return Optional.of(new AnomalyRecord(anomalyId, a.dedupKey(), a.targets(), a.severity(), status,
                r == null ? null : r.at(), r == null ? null : r.by(), r == null ? null : r.kind()));
    }

    /**
     * The root causes this copy holds for a service, for {@link InhibitionRule} to choose from: accepted at or after
     * sinceMillis, naming the service in their blast radius, not resolved, not refused, and paged (not held back
     * itself, unless released).
     */
    List<InhibitionRule.RootCause> rootCausesNaming(String service, long sinceMillis) {
        return blastRadiusIndex.getOrDefault(service, Set.of()).stream()
                .filter(id -> !resolutions.containsKey(id) && !refused.contains(id))
                .map(id -> Map.entry(id, accepted.get(id)))
                .filter(e -> e.getValue().at() >= sinceMillis && (e.getValue().inhibitedBy() == null || released.contains(e.getKey())))
                .sorted(Comparator.comparingLong(e -> e.getValue().at()))
                .map(e -> new InhibitionRule.RootCause(e.getKey(), e.getValue().service(), e.getValue().severity(), e.getValue().at()))
                .toList();
    }

    /** Whether it may hold symptoms back no longer: resolved, or its trigger refused by PagerDuty. */
    boolean heldNoLonger(String rootCauseId) {
        return resolutions.containsKey(rootCauseId) || refused.contains(rootCauseId);
    }

    /** The symptoms this root cause holds back whose held triggers were neither queued nor dropped yet. */
    List<String> heldSymptomsOf(String rootCauseId) {
        return symptomsByRootCause.getOrDefault(rootCauseId, Set.of()).stream().filter(id -> !released.contains(id)).toList();
    }

    List<AnomalyFacts.Held> heldTriggers(String anomalyId) {
        return List.copyOf(held.getOrDefault(anomalyId, Map.of()).values());
    }

    /**
     * Whether a trigger for this anomaly and routing key must not go out: its resolve was delivered there (a trigger
     * after it would open a new incident), or PagerDuty itself resolved the incident (an engineer, a merge).
     */
    boolean triggerObsolete(String anomalyId, String routingKey) {
        if (resolvesDelivered.contains(AnomalyFacts.resolveDeliveredKey(anomalyId, routingKey))) {
            return true;
        }
        AnomalyFacts.Resolution r = resolutions.get(anomalyId);
        return r != null && !"runbook".equals(r.kind());
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            consumer.wakeup();
            threads.shutdownGraceful(thread, 10_000);
        }
    }
}
