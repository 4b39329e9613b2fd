package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The three topics of Kafka mode, named with one prefix (KAFKA_TOPIC_PREFIX):
 * <ul>
 *   <li>{@code deliveries}, key = routing key: Events API events waiting for PagerDuty. One partition, so one consumer,
 *       owns each routing key: one pace per key across all instances, and per-key order.</li>
 *   <li>{@code anomalies}, compacted, key = a fact about an anomaly ({@code a/<id>} accepted with its targets,
 *       {@code r/<id>} resolved and by whom, {@code d/<id>/<hash of routing key>} its resolve was delivered to that key):
 *       every instance reads all of it, so any instance answers a repeat, a resolve or a re-post.</li>
 *   <li>{@code clickhouse-rows}: state and audit rows on their way to ClickHouse, written by one consumer group.</li>
 * </ul>
 * Missing topics are created with the configured partitions and replication factor; existing ones are left alone.
 */
public record KafkaTopics(String prefix, int partitions, short replicationFactor) {

    public String deliveries() {
        return prefix + "deliveries";
    }

    public String anomalies() {
        return prefix + "anomalies";
    }

    public String rows() {
        return prefix + "clickhouse-rows";
    }

    /** Consumer group of the instances delivering to PagerDuty. */
    public String deliveryGroup() {
        return prefix + "dispatchers";
    }

    /** Consumer group of the instances writing rows to ClickHouse. */
    public String rowsGroup() {
        return prefix + "clickhouse-writers";
    }

    /** One partition, never written: whoever holds it in {@link #reconcileGroup()} runs the self-healing sync. */
    public String reconcileTurn() {
        return prefix + "reconciler-turn";
    }

    /** Consumer group of the instances taking turns at the self-healing sync (see KafkaReconcileTurn). */
    public String reconcileGroup() {
        return prefix + "reconciler";
    }

    void createMissing(Admin admin, Duration timeout) {
        // with 3 replicas an accept (acks=all) needs 2 of them: a page survives the loss of a broker, and with only one
        // replica left accepting stops (503) instead of trusting a single copy
        String minInSync = Integer.toString(replicationFactor >= 3 ? 2 : 1);
        List<NewTopic> topics = new ArrayList<>();
        topics.add(new NewTopic(deliveries(), partitions, replicationFactor)
                .configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minInSync)));
        // facts are few per anomaly and only the latest of each key matters; never deleted by age, so a repeat of an
        // old anomaly is still recognised (the README gives its size per million anomalies)
        topics.add(new NewTopic(anomalies(), partitions, replicationFactor).configs(Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT, TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minInSync)));
        topics.add(new NewTopic(rows(), partitions, replicationFactor)
                .configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minInSync)));
        topics.add(new NewTopic(reconcileTurn(), 1, replicationFactor));
        for (NewTopic topic : topics) {
            try {
                admin.createTopics(List.of(topic)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create Kafka topic " + topic.name() + ": " + e.getCause().getMessage(), e);
                }
            } catch (Exception e) {
                throw new IllegalStateException("cannot create Kafka topic " + topic.name() + ": " + e.getMessage(), e);
            }
        }
    }
}
