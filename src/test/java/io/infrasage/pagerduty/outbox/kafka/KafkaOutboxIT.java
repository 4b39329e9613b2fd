package io.infrasage.pagerduty.outbox.kafka;

import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.outbox.Outbox;
import io.infrasage.pagerduty.outbox.OutboxContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The outbox's contract on the Kafka adapter; reopening is a new instance joining the same delivery group. */
class KafkaOutboxIT extends OutboxContract {

    static KafkaQueueUnderTest adapter;

    @BeforeAll
    static void startBroker() {
        adapter = new KafkaQueueUnderTest("outbox");
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
