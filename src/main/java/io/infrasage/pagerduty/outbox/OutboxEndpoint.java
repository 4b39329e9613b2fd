package io.infrasage.pagerduty.outbox;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

/** {@code outbox:<name>}: consumed only; events are queued by the accept path, through the {@link AnomalyRecords} port. */
public final class OutboxEndpoint extends DefaultEndpoint {

    OutboxEndpoint(String uri, OutboxComponent component) {
        super(uri, component);
    }

    @Override
    public OutboxComponent getComponent() {
        return (OutboxComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("an outbox is only read from: events are queued by accepting anomalies");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        OutboxConsumer consumer = new OutboxConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }
}
