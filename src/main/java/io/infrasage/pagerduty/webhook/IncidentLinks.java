package io.infrasage.pagerduty.webhook;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.infrasage.pagerduty.BoundedMaps;
import io.infrasage.pagerduty.anomaly.Anomaly;
import io.infrasage.pagerduty.clickhouse.StateQueries;
import io.infrasage.pagerduty.outbox.AnomalyRecords;
import io.infrasage.pagerduty.rest.BundleServices;
import io.infrasage.pagerduty.rest.PagerDutyApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which of this bundle's anomalies an incident holds, answered from what the webhook says wherever it can: the
 * incident key (infrasage-&lt;anomaly id&gt;), incidents linked before, and the services the bundle pages (an incident
 * of any other service holds none of its pages: PagerDuty groups only alerts of one service). What that leaves open
 * costs one REST call, the incident's alerts (PagerDuty may have grouped several alerts, anomalies, into one incident),
 * made from the spare share of the REST budget; when it has no room the lookup is deferred, never made over budget.
 */
final class IncidentLinks {

    private static final Logger LOG = LoggerFactory.getLogger(IncidentLinks.class);
    private static final String PREFIX = Anomaly.dedupKeyOf("");
    private static final int CACHE = 50_000;
    /**
     * How long "no anomaly of this id was paged" is believed before ClickHouse is asked again. An incident is made by
     * our own event, so its anomaly is known before its first webhook; the answer is kept so that a flood of webhooks
     * for incidents whose key only looks like ours costs no ClickHouse query each.
     */
    static final Duration NOT_PAGED_RECHECK = Duration.ofSeconds(10);

    private final StateQueries queries;
    private final AnomalyRecords store;
    private final PagerDutyApi api;
    private final BundleServices services;
    private final Map<String, List<String>> anomaliesByIncident = BoundedMaps.newest(CACHE, true);
    /** Anomaly ids found not paged by this bundle, with when (System.nanoTime) that was found. */
    private final Map<String, Long> notPaged = BoundedMaps.newest(CACHE, false);
    /** Incidents whose alerts name none of the bundle's anomalies, with their service. */
    private final Map<String, String> foreign = BoundedMaps.newest(CACHE, false);
    /** The service of each incident seen: a note's webhook names only its incident. */
    private final Map<String, String> serviceOf = BoundedMaps.newest(CACHE, false);

    /**
     * @param api the spare share of the REST budget: these lookups can wait
     */
    IncidentLinks(StateQueries queries, AnomalyRecords store, PagerDutyApi api, BundleServices services) {
        this.queries = queries;
        this.store = store;
        this.api = api;
        this.services = services;
    }

    /** The bundle's anomalies an incident holds, and whether its alerts are still to be read (budget short now). */
    record Link(List<String> anomalies, boolean lookupDeferred) {
        static final Link NONE = new Link(List.of(), false);
    }

    Link link(WebhookEvent e) {
        String incidentId = e.incidentId();
        if (incidentId == null) {
            return Link.NONE;
        }
        JsonNode incident = e.incident();
        String key = incident == null ? null : WebhookEvent.text(incident, "incident_key");
        String keyId = key != null && key.startsWith(PREFIX) ? key.substring(PREFIX.length()) : null;
        String service = incident == null ? null : WebhookEvent.text(incident.path("service"), "id");
        if (service != null) {
            serviceOf.put(incidentId, service);
        } else {
            service = serviceOf.get(incidentId);
        }
        List<String> known = anomaliesByIncident.get(incidentId);
        if (known != null && (keyId == null || known.contains(keyId))) {
            return new Link(known, false);
        }
        if (known == null && services.verdict(service) == BundleServices.Verdict.NOT_OURS) {
            return Link.NONE; // another service's incident: answered from the webhook alone
        }
        Set<String> ids = new LinkedHashSet<>();
        if (known != null) {
            ids.addAll(known);
        }
        if (keyId != null) {
            ids.add(keyId);
        } else if (known == null && (key == null || services.verdict(service) == BundleServices.Verdict.OURS)) {
            // no key of ours in this event (a note carries only a reference to its incident, an incident of our service
            // may hold our alerts under another key): the anomalies we linked it to before
            ids.addAll(queries.anomalyIdsOfIncident(incidentId));
        }
        // an incident key that merely looks like ours (anyone can send PagerDuty an event with dedup key infrasage-x)
        // is audited, never turned into anomaly state
        ids.removeIf(id -> !pagedByThisBundle(id));
        if (keyId != null && ids.contains(keyId)) {
            services.learn(service);
        }
        boolean deferred = false;
        if (known == null && api.enabled() && mayHoldMore(incidentId, incident, service, !ids.isEmpty())) {
            try {
                List<String> found = alertAnomalies(incidentId);
                ids.addAll(found);
                if (ids.isEmpty()) {
                    foreign.put(incidentId, service == null ? "" : service);
                }
            } catch (PagerDutyApi.OverBudget ex) {
                deferred = true;
            } catch (PagerDutyApi.PagerDutyApiException ex) {
                LOG.warn("could not read the alerts of incident {}: {}", incidentId, ex.getMessage());
            }
        }
        List<String> result = List.copyOf(ids);
        if (!result.isEmpty() && !deferred) {
            anomaliesByIncident.put(incidentId, result);
        }
        return new Link(result, deferred);
    }

    /**
     * Whether linking this event may still need its incident's alerts: false once its service is known not to be one
     * the bundle pages. Cheap: no query, no call.
     */
    boolean mayNeedLookup(WebhookEvent e) {
        JsonNode incident = e.incident();
        String service = incident == null ? null : WebhookEvent.text(incident.path("service"), "id");
        return services.verdict(service != null ? service : serviceOf.get(e.incidentId())) != BundleServices.Verdict.NOT_OURS;
    }

    /** A new incident, or one whose alerts moved: read its links afresh next time. */
    void forget(String incidentId) {
        if (incidentId != null) {
            anomaliesByIncident.remove(incidentId);
        }
    }

    /**
     * Whether the incident may hold anomalies of this bundle that the webhook does not name. Ours: unless PagerDuty
     * says it has a single alert. Not (yet) known to be ours: unless its alerts were read before and its service is
     * still not known to be ours.
     */
    private boolean mayHoldMore(String incidentId, JsonNode incident, String service, boolean ours) {
        if (ours) {
            JsonNode all = incident == null ? null : incident.path("alert_counts").get("all");
            return all == null || !all.canConvertToInt() || all.asInt() > 1;
        }
        String seenOn = foreign.get(incidentId);
        return seenOn == null || services.verdict(seenOn.isEmpty() ? service : seenOn) == BundleServices.Verdict.OURS;
    }

    /** The anomalies of this bundle the incident's alerts name (one REST call). */
    private List<String> alertAnomalies(String incidentId) {
        List<String> found = new ArrayList<>();
        for (JsonNode alert : api.alerts(incidentId)) {
            String alertKey = WebhookEvent.text(alert, "alert_key");
            if (alertKey != null && alertKey.startsWith(PREFIX) && pagedByThisBundle(alertKey.substring(PREFIX.length()))) {
                found.add(alertKey.substring(PREFIX.length()));
            }
        }
        return found;
    }

    /** Whether this bundle accepted the anomaly: its own record, or (another instance's) state rows in ClickHouse. */
    private boolean pagedByThisBundle(String anomalyId) {
        Long since = notPaged.get(anomalyId);
        if (since != null && System.nanoTime() - since < NOT_PAGED_RECHECK.toNanos()) {
            return false;
        }
        boolean paged = store.find(anomalyId).isPresent() || queries.hasState(anomalyId);
        if (paged) {
            notPaged.remove(anomalyId);
        } else {
            notPaged.put(anomalyId, System.nanoTime());
        }
        return paged;
    }
}
