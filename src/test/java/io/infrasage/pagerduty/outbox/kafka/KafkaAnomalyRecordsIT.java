package io.infrasage.pagerduty.outbox.kafka;

import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.AnomalyRecordsContract;
import io.infrasage.pagerduty.outbox.Outbox;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The records' contract on the Kafka adapter; reopening is a new instance reading the same topics. */
class KafkaAnomalyRecordsIT extends AnomalyRecordsContract {

    static KafkaQueueUnderTest adapter;

    @BeforeAll
    static void startBroker() {
        adapter = new KafkaQueueUnderTest("records");
    }

    @AfterAll
    static void stopBroker() {
        adapter.close();
    }

    @Override
    protected AnomalyRecords records() {
        return adapter.queue().records();
    }

    @Override
    protected Outbox outbox() {
        return adapter.queue().outbox();
    }

    @Override
    protected void reopen() {
        adapter.reopen();
    }
}
