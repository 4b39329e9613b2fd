package io.infrasage.pagerduty.outbox.kafka;

import java.time.Duration;

/**
 * When one call must be done waiting for Kafka. Every wait of the call (its turn, the anomalies topic read to its end,
 * each acknowledgement) takes what is left, so the call ends within its bound however many waits it makes.
 */
record Deadline(long atNanos, Duration bound) {

    static Deadline in(Duration bound) {
        return new Deadline(System.nanoTime() + bound.toNanos(), bound);
    }

    long remainingNanos() {
        return Math.max(0, atNanos - System.nanoTime());
    }

    long remainingMillis() {
        return (remainingNanos() + 999_999) / 1_000_000;
    }

    boolean passed() {
        return remainingNanos() == 0;
    }

    /** Before a send, which may block (see {@link KafkaClients#maxBlock}): none starts that could end past the deadline. */
    void beforeSend() {
        if (remainingNanos() < KafkaClients.maxBlock(bound).toNanos()) {
            throw new KafkaUnavailableException("Kafka did not take the write within " + described(), null);
        }
    }

    /** The bound as the 503's problem says it: "5 s", "500 ms". */
    String described() {
        return bound.toMillis() % 1000 == 0 ? bound.toSeconds() + " s" : bound.toMillis() + " ms";
    }
}
