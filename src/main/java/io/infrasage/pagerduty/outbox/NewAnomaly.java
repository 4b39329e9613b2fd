package io.infrasage.pagerduty.outbox;

import java.util.List;

import io.infrasage.pagerduty.anomaly.RoutingTarget;

/** A new anomaly as symptom inhibition records it: its service, and the services it names as its blast radius. */
public record NewAnomaly(String anomalyId, String dedupKey, String service, List<String> blastRadius,
                         List<RoutingTarget> targets, String severity) {
}
