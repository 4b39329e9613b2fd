package io.infrasage.pagerduty.webhook;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;

import io.infrasage.pagerduty.BundleMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Webhooks whose REST lookups waited for budget: the webhook was persisted and answered with what it said, and the
 * rest (the incident's alerts, the full text of its notes) is made later, in turn, by the pagerduty-webhook-lookups
 * timer route. Held in memory and bounded: after a restart the self-healing sync repairs what
 * a lost lookup would have written for the bundle's own incidents.
 */
final class DeferredLookups {

    private static final Logger LOG = LoggerFactory.getLogger(DeferredLookups.class);
    /** Bound on lookups waiting, so a flood during a long budget shortage cannot exhaust memory. */
    static final int MAX_WAITING = 10_000;
    /** Events made from a deferred lookup are written under the webhook's id with this prefix: once each. */
    static final String EVENT_ID_PREFIX = "deferred-";

    /**
     * A webhook to complete.
     *
     * @param written the anomalies whose rows the webhook already wrote
     * @param links   its incident's alerts are still to be read
     * @param notes   its incident's notes are still to be read in full
     */
    record Item(WebhookEvent event, Set<String> written, boolean links, boolean notes) {
    }

    /** Whether this event is a webhook being completed after a deferred lookup. */
    static boolean isLater(WebhookEvent e) {
        return e.id().startsWith(EVENT_ID_PREFIX);
    }

    private final Deque<Item> waiting = new ArrayDeque<>();
    private final BundleMetrics metrics;
    private long dropped;

    DeferredLookups(BundleMetrics metrics) {
        this.metrics = metrics;
    }

    /** Defers the lookups of a webhook (one made from a deferred lookup keeps its webhook's id). */
    synchronized void add(WebhookEvent e, List<String> written, boolean links, boolean notes) {
        WebhookEvent original = isLater(e) ? e.withId(e.id().substring(EVENT_ID_PREFIX.length())) : e;
        if (waiting.size() >= MAX_WAITING) {
            Item gone = waiting.pollFirst();
            metrics.webhookLookup("dropped");
            if (dropped++ % 1000 == 0) {
                LOG.warn("{} REST lookups wait for PagerDuty's REST budget: the oldest (webhook {} of incident {}) is dropped "
                        + "({} so far); scope the webhook subscription to the bundle's services", MAX_WAITING,
                        gone.event().id(), gone.event().incidentId(), dropped);
            }
        }
        waiting.addLast(new Item(original, Set.copyOf(written), links, notes));
        metrics.webhookLookup("deferred");
    }

    /** The oldest waiting, or null. */
    synchronized Item next() {
        return waiting.pollFirst();
    }

    /** An item that still has to wait: its turn comes again after the others. */
    synchronized void again(Item item) {
        waiting.addLast(item);
    }

    synchronized int size() {
        return waiting.size();
    }
}
