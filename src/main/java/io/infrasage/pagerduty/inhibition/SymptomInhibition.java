package io.infrasage.pagerduty.inhibition;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import io.infrasage.pagerduty.anomaly.Anomaly;
import io.infrasage.pagerduty.anomaly.RoutingRules;
import io.infrasage.pagerduty.anomaly.RoutingTarget;
import org.apache.camel.Body;
import org.apache.camel.Header;

/**
 * INFRASAGE_INHIBIT_SYMPTOMS: whether an anomaly may be held back as the symptom of a root cause already paged, for how
 * long after that root cause was accepted (INFRASAGE_INHIBIT_WINDOW), and which of its teams opted out with
 * {@code "inhibit": false} in their routing rule. The decision itself is {@link InhibitionRule}'s, made inside the
 * anomaly records' write that accepts the anomaly (see {@link io.infrasage.pagerduty.outbox.AnomalyRecords#acceptAll}).
 */
public final class SymptomInhibition {

    private final boolean enabled;
    private final Duration window;
    private final RoutingRules rules;
    private final RootCauseNotes notes;

    public SymptomInhibition(boolean enabled, Duration window, RoutingRules rules, RootCauseNotes notes) {
        this.enabled = enabled;
        this.window = window;
        this.rules = rules;
        this.notes = notes;
    }

    public static SymptomInhibition off() {
        return new SymptomInhibition(false, Duration.ofMinutes(30), RoutingRules.none(), null);
    }

    public boolean enabled() {
        return enabled;
    }

    /** Root causes accepted before this moment no longer hold symptoms back. */
    public long rootCausesSince(long nowMillis) {
        return nowMillis - window.toMillis();
    }

    /**
     * The route's symptom-inhibition step: the teams of this anomaly an open root cause may hold back; none when
     * inhibition is off. Whether such a root cause is open is decided in the queue step's durable write.
     */
    public List<RoutingTarget> inhibitableTeams(@Body Anomaly a, @Header("teams") List<RoutingTarget> targets) {
        return enabled ? inhibitable(a.service(), targets) : List.of();
    }

    /** The targets that may be held back for this service: all but those whose rule says {@code "inhibit": false}. */
    public List<RoutingTarget> inhibitable(String service, List<RoutingTarget> targets) {
        Set<String> never = rules.neverInhibited(service);
        return targets.stream().filter(t -> !never.contains(t.routingKey())).toList();
    }

    public RootCauseNotes notes() {
        return notes;
    }
}
