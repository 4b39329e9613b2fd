package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import io.infrasage.pagerduty.DependencyState;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Whether Kafka takes this instance's durable (acks=all) writes now, as its last waits for Kafka found: an
 * acknowledgement says yes; a wait that ran out, or failed for a reason of the cluster's (a broker away, too few in-sync
 * replicas, no leader, no permission), says no. Calls that wait for Kafka hold HTTP worker threads, and requests
 * queued behind them would be answered past the accept bound; so at most {@code maxWaiting} calls wait at once, and
 * the others are refused at once (503) while Kafka is that slow. While the answer is no:
 * <ul>
 *   <li>one call at a time tries Kafka; the others are refused at once, so their 503 comes now instead of after the
 *       accept bound;</li>
 *   <li>asked by readiness, it looks at the topics' partitions (a leader, enough in-sync replicas) within half a probe's
 *       budget, so an instance taken out of traffic sees the broker's return by itself.</li>
 * </ul>
 * Readiness looks the same way whenever nothing was heard from Kafka for a second (an idle instance), at most once a
 * second. The log gets one line when writes stop and one when they are back, and
 * infrasage_dependency_up{dependency="kafka"} follows; until Kafka first answers, a failed look only keeps the instance
 * unready, so a start with clients still connecting reports no outage.
 */
final class KafkaWritability {

    /** A health probe has about a second: the look at the partitions takes at most half of it. */
    static final Duration LOOK_TIMEOUT = Duration.ofMillis(500);
    /** How long the last outcome (a write's or a look's) answers readiness before it looks at the partitions again. */
    private static final long FRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** What a call admitted to wait for Kafka closes when it is done. */
    interface Pass extends AutoCloseable {
        @Override
        void close();
    }

    private final Supplier<Admin> admin;
    private final List<String> topics;
    private final DependencyState state;
    private final int maxWaiting;
    private final Semaphore waiting;
    private final AtomicBoolean trying = new AtomicBoolean();
    private final AtomicBoolean looking = new AtomicBoolean();
    /** Why Kafka takes no writes now; null while it does. */
    private volatile String reason;
    private volatile long heardAt = System.nanoTime();
    /** Kafka answered once: until then a look that fails is a client still connecting, not an outage to report. */
    private volatile boolean reached;

    /**
     * @param topics     the topics an accept writes: every partition of them must take writes
     * @param maxWaiting calls that may wait for Kafka at once: fewer than the threads that serve requests
     */
    KafkaWritability(Supplier<Admin> admin, List<String> topics, DependencyState state, int maxWaiting) {
        this.admin = admin;
        this.topics = List.copyOf(topics);
        this.state = state;
        this.maxWaiting = maxWaiting;
        this.waiting = new Semaphore(maxWaiting);
    }

    /**
     * A call may wait for Kafka while fewer than maxWaiting do; while Kafka takes no writes, only when no other call is
     * trying it.
     *
     * @throws KafkaUnavailableException at once, when it may not
     */
    Pass admit() {
        String why = reason;
        boolean trial = why != null;
        if (trial && !trying.compareAndSet(false, true)) {
            throw new KafkaUnavailableException("Kafka cannot take writes now (" + why + ")", null);
        }
        if (!waiting.tryAcquire()) {
            if (trial) {
                trying.set(false);
            }
            throw new KafkaUnavailableException("Kafka is slow to take writes: " + maxWaiting + " requests wait for it already", null);
        }
        return () -> {
            waiting.release();
            if (trial) {
                trying.set(false);
            }
        };
    }

    /** Waits for Kafka's acknowledgement of a record within the deadline, and keeps what it found. */
    RecordMetadata acked(Future<RecordMetadata> record, Deadline deadline) {
        try {
            RecordMetadata m = record.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
            writable();
            return m;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted while waiting for Kafka", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw unwritable("Kafka did not take the write within " + deadline.described(), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String why = "Kafka did not take the write: " + cause.getMessage();
            if (cause instanceof RetriableException || cause instanceof AuthorizationException || cause instanceof AuthenticationException) {
                throw unwritable(why, cause);
            }
            // a fault of this record (too large, say), not of Kafka: no reason to refuse the next one
            throw new KafkaUnavailableException(why, cause);
        }
    }

    /** A wait for Kafka other than an acknowledgement (the anomalies topic's end) ran out or failed. */
    KafkaUnavailableException unwritable(KafkaUnavailableException e) {
        down(e.getMessage());
        return e;
    }

    private KafkaUnavailableException unwritable(String why, Throwable cause) {
        return unwritable(new KafkaUnavailableException(why, cause));
    }

    /**
     * Why Kafka cannot take a durable write now, or empty when it can: the last outcome, unless it is older than a
     * second; then it looks at the partitions first, for at most {@link #LOOK_TIMEOUT} (concurrent callers take the
     * last answer meanwhile).
     */
    Optional<String> unwritable() {
        if (System.nanoTime() - heardAt >= FRESH_NANOS && looking.compareAndSet(false, true)) {
            try {
                look();
            } finally {
                looking.set(false);
            }
        }
        return Optional.ofNullable(reason);
    }

    /** Every partition of the topics has a leader and at least its min.insync.replicas in sync: acks=all can succeed. */
    private void look() {
        Deadline deadline = Deadline.in(LOOK_TIMEOUT);
        int ms = (int) LOOK_TIMEOUT.toMillis();
        List<ConfigResource> resources = topics.stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        try {
            KafkaFuture<Map<String, TopicDescription>> described = admin.get().describeTopics(topics, new DescribeTopicsOptions().timeoutMs(ms))
                    .allTopicNames();
            KafkaFuture<Map<ConfigResource, Config>> configs = admin.get().describeConfigs(resources, new DescribeConfigsOptions().timeoutMs(ms)).all();
            Map<String, TopicDescription> partitions = described.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
            Map<ConfigResource, Config> settings;
            try {
                settings = configs.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException | java.util.concurrent.TimeoutException notAllowed) {
                // a Kafka user may write without being allowed to read topic configs: then a leader is what is known
                settings = Map.of();
            }
            List<String> problems = new ArrayList<>();
            for (ConfigResource topic : resources) {
                Config config = settings.get(topic);
                ConfigEntry minIsr = config == null ? null : config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
                int needed = minIsr == null ? 1 : Integer.parseInt(minIsr.value());
                for (TopicPartitionInfo p : partitions.get(topic.name()).partitions()) {
                    if (p.leader() == null || p.leader().isEmpty()) {
                        problems.add("partition " + p.partition() + " of " + topic.name() + " has no leader");
                    } else if (p.isr().size() < needed) {
                        problems.add("partition " + p.partition() + " of " + topic.name() + " has " + p.isr().size()
                                + " in-sync replica(s), fewer than its min.insync.replicas " + needed);
                    }
                }
            }
            if (problems.isEmpty()) {
                writable();
            } else {
                down(problems.get(0) + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : ""));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            lookFailed("Kafka did not describe the topics: " + e.getCause().getMessage());
        } catch (Exception e) {
            lookFailed("Kafka did not answer within " + deadline.described());
        }
    }

    /** Before Kafka first answered, unready without a warning, and the next probe looks again. */
    private void lookFailed(String why) {
        if (reached) {
            down(why);
        } else {
            reason = "Kafka not reached yet: " + why;
        }
    }

    private void writable() {
        heardAt = System.nanoTime();
        reached = true;
        if (reason != null) {
            reason = null;
            state.up();
        }
    }

    private void down(String why) {
        heardAt = System.nanoTime();
        reason = why;
        state.down(why);
    }
}
