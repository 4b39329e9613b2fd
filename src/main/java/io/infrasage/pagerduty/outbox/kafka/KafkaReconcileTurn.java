package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

import io.infrasage.pagerduty.sync.ReconcileTurn;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka mode: exactly one instance runs the self-healing sync at a time. Every instance joins the consumer group
 * {@code <prefix>reconciler} on the one-partition topic {@code <prefix>reconciler-turn}; Kafka's group coordinator gives
 * that single partition to exactly one member, and the member holding it has the turn. When it dies, the group hands
 * the partition to another after the session timeout (10 s); when it leaves cleanly, at once. Nothing is ever written to
 * the topic: the group membership is the lease, Kafka already runs it, and no clock or extra store is involved.
 *
 * <p>An instance that stops polling (a long GC pause, a lost broker connection) gives up the turn on its own side once
 * its last successful poll is older than half the session timeout, before the group can have given it to another.
 * Should two runs still overlap, they do no harm: rows are written once per event id, and a resolve sent twice is one
 * resolve to PagerDuty.
 */
public final class KafkaReconcileTurn implements ReconcileTurn, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaReconcileTurn.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final KafkaClients clients;
    private final KafkaTopics topics;
    private final String topic;
    private final AtomicBoolean holds = new AtomicBoolean();
    private volatile long staleAfterMillis;
    private volatile long lastPollMillis;
    private volatile boolean running = true;
    private KafkaConsumer<String, String> consumer;
    private ExecutorServiceManager threads;
    private ExecutorService thread;

    public KafkaReconcileTurn(KafkaClients clients, KafkaTopics topics) {
        this.clients = clients;
        this.topics = topics;
        this.topic = topics.reconcileTurn();
    }

    /** Joins the group on a Camel thread (the consumer's settings are read now, once Camel has bound them). */
    public void start(ExecutorServiceManager threads) {
        this.threads = threads;
        Properties p = clients.consumerProperties(topics.reconcileGroup());
        Object session = p.getOrDefault(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "45000");
        staleAfterMillis = Long.parseLong(session.toString()) / 2;
        consumer = new KafkaConsumer<>(p);
        thread = threads.newSingleThreadExecutor(this, "infrasage-reconcile-turn");
        thread.execute(this::run);
    }

    @Override
    public boolean mine() {
        return holds.get() && System.currentTimeMillis() - lastPollMillis < staleAfterMillis;
    }

    private void run() {
        try {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    if (holds.getAndSet(false)) {
                        LOG.info("self-healing sync: this instance hands its turn over");
                    }
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty() && !holds.getAndSet(true)) {
                        LOG.info("self-healing sync: this instance has the turn (partition {} of {})", partitions, topic);
                    }
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    holds.set(false);
                }
            });
            while (running) {
                try {
                    consumer.poll(POLL); // the topic stays empty: polling only keeps the membership alive
                    lastPollMillis = System.currentTimeMillis();
                } catch (WakeupException e) {
                    break;
                } catch (RuntimeException e) {
                    LOG.warn("self-healing sync: Kafka membership poll failed ({}); retrying", e.getMessage());
                    sleep();
                }
            }
        } finally {
            holds.set(false);
            consumer.close(Duration.ofSeconds(5)); // leaves the group at once: another instance takes the turn now
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
