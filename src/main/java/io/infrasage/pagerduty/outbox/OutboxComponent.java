package io.infrasage.pagerduty.outbox;

import java.util.Map;

import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code outbox:} component: a route that starts {@code from: outbox:pagerduty} gets each due event of the
 * bundle's outbox (either adapter of the {@link Outbox} port) as an exchange, in order and paced; see
 * {@link OutboxConsumer}.
 */
public final class OutboxComponent extends DefaultComponent {

    final String name;
    final Outbox store;
    final Deliveries deliveries;
    final OutboxSettlement settlement;
    final DeliveryOutcome outcome;
    final RoutingKeyPace pace;
    final int senders;

    /** @param senders events in flight to PagerDuty at once */
    public OutboxComponent(String name, Outbox store, Deliveries deliveries, OutboxSettlement settlement, DeliveryOutcome outcome,
                           RoutingKeyPace pace, int senders) {
        this.name = name;
        this.store = store;
        this.deliveries = deliveries;
        this.settlement = settlement;
        this.outcome = outcome;
        this.pace = pace;
        this.senders = senders;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        if (!remaining.equals(name)) {
            throw new IllegalArgumentException("no outbox named '" + remaining + "': this bundle has outbox:" + name);
        }
        return new OutboxEndpoint(uri, this);
    }
}
