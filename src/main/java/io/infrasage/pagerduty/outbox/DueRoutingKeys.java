package io.infrasage.pagerduty.outbox;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which routing keys may have due events, each with a version: {@link #drained} with that version takes a key out only
 * if nothing touched it since, so an event queued while a poll ran is never overlooked. A key becomes active when its
 * events are durably queued or a head of its queues is gone, and through {@link #activateAll}. The known keys are kept
 * in memory and never shrink; routing keys are few.
 */
public final class DueRoutingKeys {

    private final Set<String> known = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Long> active = new ConcurrentHashMap<>();

    public Map<String, Long> active() {
        return Map.copyOf(active);
    }

    public void activateAll() {
        known.forEach(this::activate);
    }

    public void activate(String routingKey) {
        known.add(routingKey);
        active.merge(routingKey, 1L, Long::sum);
    }

    public void drained(String routingKey, long version) {
        active.remove(routingKey, version);
    }
}
