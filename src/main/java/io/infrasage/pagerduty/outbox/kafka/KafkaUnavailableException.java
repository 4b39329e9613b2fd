package io.infrasage.pagerduty.outbox.kafka;

import io.infrasage.pagerduty.clickhouse.PersistenceUnavailableException;

/** Kafka could not take or give a record in time: nothing was accepted, the caller answers 503 and the client retries. */
public class KafkaUnavailableException extends PersistenceUnavailableException {

    public KafkaUnavailableException(String message, Throwable cause) {
        super("Kafka cannot take the write right now", message, cause);
    }
}
