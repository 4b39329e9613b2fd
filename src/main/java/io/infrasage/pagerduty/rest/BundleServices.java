package io.infrasage.pagerduty.rest;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The PagerDuty services this bundle's routing keys page: given (PAGERDUTY_SERVICE_IDS), or learned from the bundle's
 * own incidents. Each routing key pages exactly one service, so once as many services are learned as there are
 * routing keys, every one is known: an incident on any other service cannot hold a page of this bundle (PagerDuty only
 * groups alerts of one service), and a webhook about it needs no REST lookup.
 */
public final class BundleServices {

    /** What the bundle knows of a service. */
    public enum Verdict { OURS, NOT_OURS, UNKNOWN }

    private final Set<String> given;
    private final Set<String> learned = ConcurrentHashMap.newKeySet();
    private final int routingKeys;

    /**
     * @param given       PagerDuty service ids from the settings (empty: learn them)
     * @param routingKeys how many distinct routing keys the routing rules page
     */
    public BundleServices(List<String> given, int routingKeys) {
        this.given = Set.copyOf(given);
        this.routingKeys = routingKeys;
    }

    /** A service one of the bundle's own incidents is on. */
    public void learn(String serviceId) {
        if (given.isEmpty() && serviceId != null && !serviceId.isBlank() && learned.size() < routingKeys) {
            learned.add(serviceId);
        }
    }

    public Verdict verdict(String serviceId) {
        if (serviceId == null || serviceId.isBlank()) {
            return Verdict.UNKNOWN;
        }
        if (given.contains(serviceId) || learned.contains(serviceId)) {
            return Verdict.OURS;
        }
        return complete() ? Verdict.NOT_OURS : Verdict.UNKNOWN;
    }

    /** Every service the routing keys page is known. */
    public boolean complete() {
        return !given.isEmpty() || (routingKeys > 0 && learned.size() >= routingKeys);
    }

    /** The services to list incidents of (service_ids[]), once all are known; empty: list every service's. */
    public Optional<List<String>> listingFilter() {
        if (!complete()) {
            return Optional.empty();
        }
        return Optional.of(List.copyOf(given.isEmpty() ? learned : given).stream().sorted().toList());
    }
}
