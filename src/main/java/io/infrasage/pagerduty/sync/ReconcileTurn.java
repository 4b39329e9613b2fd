package io.infrasage.pagerduty.sync;

/**
 * Whether this instance runs the self-healing sync now. One instance (local mode) always does; in Kafka mode exactly
 * one of the instances does at a time (see {@code KafkaReconcileTurn}), so PagerDuty's REST budget is spent once and a
 * lost resolve is sent again once.
 */
public interface ReconcileTurn {

    boolean mine();

    static ReconcileTurn always() {
        return () -> true;
    }
}
