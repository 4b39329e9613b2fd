package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.outbox.DueRoutingKeys;
import io.infrasage.pagerduty.outbox.Outbox;
import io.infrasage.pagerduty.outbox.OutboxEvent;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deliveries this instance owns: the partitions of the deliveries topic the consumer group gave it, and with them
 * every routing key hashed there, so one instance paces each key. Records are kept in memory in queues per routing
 * key (a throttled key never holds back another that shares its partition), and a partition's offset is committed
 * only below its oldest event not yet done. An event is done once PagerDuty took it (or refused it for good) and its
 * ClickHouse rows and, for a resolve, the fact that the resolve reached the key are in Kafka. When an instance dies,
 * the group gives its partitions to the survivors, which re-read from the committed offset: what was done above it is
 * sent again (at least once; PagerDuty's dedup key makes it harmless), except a trigger whose resolve was delivered
 * or whose incident PagerDuty resolved, which is dropped: a trigger after its resolve would open a new incident.
 */
final class KafkaOutbox implements Outbox, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaOutbox.class);
    /** Events held in memory beyond which fetching pauses until half of them are done. */
    static final int MAX_PENDING = 100_000;
    private static final long COMMIT_EVERY_MILLIS = 500;
    /** How long a revoked partition waits for its sends in flight, so the next owner cannot overtake them. */
    private static final long REVOKE_WAIT_MILLIS = 15_000;

    private final KafkaClients clients;
    private final KafkaTopics topics;
    private final AnomalyRecordView view;
    private final KafkaRowSpool spool;
    private final KafkaWritability writability;
    private final Duration acceptTimeout;
    private final DueRoutingKeys keys = new DueRoutingKeys();
    private final Map<String, ConcurrentSkipListMap<Long, Pending>> byKey = new ConcurrentHashMap<>();
    private final Map<Integer, PartitionState> partitions = new ConcurrentHashMap<>();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Runnable onQueued = () -> { };
    private volatile boolean running;
    private boolean paused;
    private KafkaConsumer<String, String> consumer;
    private ExecutorServiceManager threads;
    private ExecutorService thread;

    /** An event in memory with its delivery attempts so far. */
    private static final class Pending {
        final OutboxEvent event;
        volatile int attempts;
        volatile long nextAttemptAt;

        Pending(OutboxEvent event) {
            this.event = event;
        }

        OutboxEvent current() {
            OutboxEvent e = event;
            return new OutboxEvent(e.seq(), e.anomalyId(), e.dedupKey(), e.routingKey(), e.team(), e.action(), e.body(), attempts,
                    e.createdAtMillis(), e.traceparent());
        }
    }

    /** One owned partition: offsets read and not done, the next offset to read, what was committed, sends in flight. */
    private static final class PartitionState {
        final ConcurrentSkipListSet<Long> undone = new ConcurrentSkipListSet<>();
        final AtomicInteger sending = new AtomicInteger();
        volatile long next;
        long committed;
        volatile boolean revoked;

        PartitionState(long position) {
            next = position;
            committed = position;
        }

        long commitPoint() {
            return undone.isEmpty() ? next : undone.first();
        }
    }

    KafkaOutbox(KafkaClients clients, KafkaTopics topics, AnomalyRecordView view, KafkaRowSpool spool, KafkaWritability writability) {
        this.clients = clients;
        this.topics = topics;
        this.view = view;
        this.spool = spool;
        this.writability = writability;
        this.acceptTimeout = clients.acceptTimeout();
    }

    /** Events arrived: the dispatcher may look now instead of at its next timed poll. */
    void onQueued(Runnable listener) {
        this.onQueued = listener;
    }

    /** Joins the delivery group; the consumer is only ever used on its Camel thread (rebalance callbacks run in its poll). */
    void start(ExecutorServiceManager threads) {
        this.threads = threads;
        consumer = clients.consumer(topics.deliveryGroup());
        consumer.subscribe(List.of(topics.deliveries()), new Rebalance());
        running = true;
        thread = threads.newSingleThreadExecutor(this, "kafka-deliveries");
        thread.execute(this::loop);
    }

    private void loop() {
        long lastCommit = 0;
        try {
            while (running) {
                try {
                    take(consumer.poll(Duration.ofMillis(200)));
                    pauseWhenFull();
                    if (System.currentTimeMillis() - lastCommit >= COMMIT_EVERY_MILLIS) {
                        commit(partitions.keySet());
                        lastCommit = System.currentTimeMillis();
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // Kafka unreachable, a rebalance cut short: what is not committed is read again, by us or the next owner
                    LOG.error("reading deliveries from Kafka failed, trying again in 1 s: {}", e.getMessage());
                    Thread.sleep(1000);
                }
            }
        } catch (WakeupException | InterruptedException e) {
            // closing
        } finally {
            try {
                commit(partitions.keySet());
            } catch (RuntimeException e) {
                LOG.warn("last commit failed: {}", e.getMessage());
            }
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Puts each record into its routing key's queue. */
    private void take(Iterable<ConsumerRecord<String, String>> records) {
        boolean queued = false;
        for (ConsumerRecord<String, String> r : records) {
            PartitionState state = partitions.get(r.partition());
            if (state == null) {
                continue;
            }
            state.next = r.offset() + 1;
            OutboxEvent e;
            try {
                e = DeliveryRecord.read(r);
            } catch (IllegalStateException unreadable) {
                LOG.error("{}; skipped", unreadable.getMessage());
                continue;
            }
            state.undone.add(r.offset());
            byKey.computeIfAbsent(e.routingKey(), k -> new ConcurrentSkipListMap<>()).put(e.seq(), new Pending(e));
            pending.incrementAndGet();
            keys.activate(e.routingKey());
            queued = true;
        }
        if (queued) {
            onQueued.run();
        }
    }

    private void pauseWhenFull() {
        if (!paused && pending.get() > MAX_PENDING) {
            consumer.pause(consumer.assignment());
            paused = true;
            LOG.warn("{} events in memory: fetching paused until half of them are delivered", pending.get());
        } else if (paused && pending.get() < MAX_PENDING / 2) {
            consumer.resume(consumer.assignment());
            paused = false;
        }
    }

    /** Commits each partition up to its oldest event not yet done (only from the consumer's thread). */
    private void commit(Collection<Integer> which) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Map<Integer, Long> points = new HashMap<>();
        for (Integer p : which) {
            PartitionState state = partitions.get(p);
            if (state != null && state.commitPoint() > state.committed) {
                long point = state.commitPoint();
                offsets.put(new TopicPartition(topics.deliveries(), p), new OffsetAndMetadata(point));
                points.put(p, point);
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets);
            points.forEach((p, point) -> {
                PartitionState state = partitions.get(p);
                if (state != null) {
                    state.committed = point;
                }
            });
        } catch (RuntimeException e) {
            LOG.warn("could not commit delivery offsets (they are committed later, or re-read by the next owner): {}", e.getMessage());
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            List<Integer> ids = revoked.stream().map(TopicPartition::partition).toList();
            ids.forEach(p -> {
                PartitionState state = partitions.get(p);
                if (state != null) {
                    state.revoked = true;
                }
            });
            long deadline = System.currentTimeMillis() + REVOKE_WAIT_MILLIS;
            while (ids.stream().map(partitions::get).anyMatch(s -> s != null && s.sending.get() > 0)
                    && System.currentTimeMillis() < deadline) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            commit(ids);
            ids.forEach(partitions::remove);
            Set<Integer> gone = new HashSet<>(ids);
            for (ConcurrentSkipListMap<Long, Pending> queue : byKey.values()) {
                queue.keySet().removeIf(seq -> {
                    boolean drop = gone.contains(DeliveryRecord.partition(seq));
                    if (drop) {
                        pending.decrementAndGet();
                    }
                    return drop;
                });
            }
            if (!ids.isEmpty()) {
                LOG.info("deliveries of partitions {} handed over to another instance", ids);
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            if (assigned.isEmpty()) {
                return;
            }
            // facts written by the previous owner (a resolve delivered) must be known before its events are sent again
            while (running) {
                try {
                    view.awaitCurrent(Deadline.in(Duration.ofSeconds(30)));
                    break;
                } catch (KafkaUnavailableException e) {
                    LOG.warn("waiting for the anomalies topic before delivering: {}", e.getMessage());
                }
            }
            for (TopicPartition tp : assigned) {
                partitions.put(tp.partition(), new PartitionState(consumer.position(tp)));
            }
            LOG.info("delivering partitions {} of {}", assigned.stream().map(TopicPartition::partition).sorted().toList(),
                    topics.deliveries());
        }
    }

    @Override
    public DueRoutingKeys dueKeys() {
        return keys;
    }

    @Override
    public List<OutboxEvent> dueHeads(String routingKey, long nowMillis, int limit) {
        ConcurrentSkipListMap<Long, Pending> queue = byKey.get(routingKey);
        List<OutboxEvent> out = new ArrayList<>();
        if (queue == null) {
            return out;
        }
        Set<String> seen = new HashSet<>();
        for (Pending p : queue.values()) {
            OutboxEvent e = p.event;
            PartitionState state = partitions.get(DeliveryRecord.partition(e.seq()));
            if (state == null || state.revoked || !seen.add(e.orderKey())) {
                continue;
            }
            if (e.action().equals("trigger") && view.triggerObsolete(e.anomalyId(), e.routingKey())) {
                LOG.info("trigger for {} (team {}) dropped: its incident is resolved", e.dedupKey(), e.team());
                done(e);
                seen.remove(e.orderKey()); // the next event of that dedup key is the head now
                continue;
            }
            if (p.nextAttemptAt <= nowMillis) {
                out.add(p.current());
                if (out.size() >= limit) {
                    break;
                }
            }
        }
        return out;
    }

    @Override
    public void sending(OutboxEvent e) {
        PartitionState state = partitions.get(DeliveryRecord.partition(e.seq()));
        if (state != null) {
            state.sending.incrementAndGet();
        }
    }

    private void sent(OutboxEvent e) {
        PartitionState state = partitions.get(DeliveryRecord.partition(e.seq()));
        if (state != null) {
            state.sending.updateAndGet(n -> Math.max(0, n - 1));
        }
    }

    @Override
    public void complete(OutboxEvent e, List<Row> rows) {
        try {
            Deadline deadline = Deadline.in(acceptTimeout);
            List<Future<RecordMetadata>> written = new ArrayList<>(spool.send(rows, deadline));
            String delivered = AnomalyFacts.resolveDeliveredKey(e.anomalyId(), e.routingKey());
            if (e.action().equals("resolve")) {
                written.add(clients.producer().send(new ProducerRecord<>(topics.anomalies(), delivered, "{}")));
            }
            written.forEach(f -> writability.acked(f, deadline));
            if (e.action().equals("resolve")) {
                // known here at once: a trigger queued behind this resolve (a 503'd accept's record that reached Kafka
                // late) comes up next, maybe before this instance's copy has read the fact back
                view.apply(delivered, "{}");
            }
            done(e);
        } finally {
            sent(e);
        }
    }

    /** The event leaves memory and no longer holds its partition's commit point back. */
    private void done(OutboxEvent e) {
        ConcurrentSkipListMap<Long, Pending> queue = byKey.get(e.routingKey());
        if (queue != null && queue.remove(e.seq()) != null) {
            pending.decrementAndGet();
        }
        PartitionState state = partitions.get(DeliveryRecord.partition(e.seq()));
        if (state != null) {
            state.undone.remove(DeliveryRecord.offset(e.seq()));
        }
        keys.activate(e.routingKey());
    }

    @Override
    public void retryLater(OutboxEvent e, long nextAttemptAtMillis, String error) {
        try {
            ConcurrentSkipListMap<Long, Pending> queue = byKey.get(e.routingKey());
            Pending p = queue == null ? null : queue.get(e.seq());
            if (p != null) {
                p.attempts = e.attempts() + 1;
                p.nextAttemptAt = nextAttemptAtMillis;
            }
        } finally {
            sent(e);
        }
    }

    @Override
    public long depth() {
        return pending.get();
    }

    @Override
    public Optional<Long> oldestQueuedAt() {
        return byKey.values().stream().flatMap(q -> q.values().stream()).map(p -> p.event.createdAtMillis()).min(Long::compare);
    }

    /** Why Kafka cannot take a durable write now (see {@link KafkaWritability}); at most about half a second. */
    @Override
    public Optional<String> unwritable() {
        return writability.unwritable();
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            consumer.wakeup();
            // the loop commits what is done and closes the consumer on its way out
            threads.shutdownGraceful(thread, TimeUnit.SECONDS.toMillis(10));
        }
    }
}
