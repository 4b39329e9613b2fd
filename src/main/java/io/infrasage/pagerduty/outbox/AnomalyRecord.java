package io.infrasage.pagerduty.outbox;

import java.util.List;
import java.util.Optional;

import io.infrasage.pagerduty.anomaly.RoutingTarget;

/**
 * What the bundle already knows of an anomaly. resolvedByKind says who resolvedBy is: "runbook" (our own resolve,
 * sent through this bundle), "engineer", "merged" or "pagerduty"; null while unresolved.
 */
public record AnomalyRecord(String anomalyId, String dedupKey, List<RoutingTarget> targets, String severity,
                            String status, Long resolvedAt, String resolvedBy, String resolvedByKind) {
    public boolean resolved() {
        return resolvedAt != null;
    }

    /** The runbook whose resolve this bundle sent, if that is how the anomaly was resolved. */
    public Optional<String> runbook() {
        return "runbook".equals(resolvedByKind) ? Optional.ofNullable(resolvedBy) : Optional.empty();
    }
}
