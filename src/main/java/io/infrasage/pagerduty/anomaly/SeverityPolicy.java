package io.infrasage.pagerduty.anomaly;

import java.util.List;

/**
 * The seed's score bands, lower bound inclusive: [warning-from, error-from) warning, [error-from, critical-from) error,
 * [critical-from, 1.0] critical; defaults 0.4 / 0.6 / 0.8. A score below warning-from, or whose severity is below the
 * configured minimum, is not paged (it is recorded as suppressed).
 */
public final class SeverityPolicy {

    /** PagerDuty's severities, lowest first. */
    public static final List<String> SEVERITIES = List.of("info", "warning", "error", "critical");

    private final double warningFrom;
    private final double errorFrom;
    private final double criticalFrom;
    private final String minimum;

    private SeverityPolicy(double warningFrom, double errorFrom, double criticalFrom, String minimum) {
        this.warningFrom = warningFrom;
        this.errorFrom = errorFrom;
        this.criticalFrom = criticalFrom;
        this.minimum = minimum;
    }

    public static SeverityPolicy of(double warningFrom, double errorFrom, double criticalFrom, String minimum) {
        if (!(warningFrom < errorFrom && errorFrom < criticalFrom)) {
            throw new IllegalArgumentException("severity bands must rise: warning-from (" + warningFrom + ") < error-from ("
                    + errorFrom + ") < critical-from (" + criticalFrom + ")");
        }
        String min = minimum == null || minimum.isBlank() ? "warning" : minimum.trim().toLowerCase();
        if (!SEVERITIES.contains(min) || min.equals("info")) {
            throw new IllegalArgumentException("must be one of warning, error, critical, got '" + minimum + "'");
        }
        return new SeverityPolicy(warningFrom, errorFrom, criticalFrom, min);
    }

    /** The route's step: the anomaly bound by type, so no expression is evaluated per exchange to pick its score. */
    public String severityOf(Anomaly anomaly) {
        return severityFor(anomaly.score());
    }

    /** The PagerDuty severity to page with, or null when the anomaly is not paged (recorded as suppressed). */
    public String severityFor(double score) {
        String severity;
        if (score >= criticalFrom) {
            severity = "critical";
        } else if (score >= errorFrom) {
            severity = "error";
        } else if (score >= warningFrom) {
            severity = "warning";
        } else {
            return null;
        }
        return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(minimum) ? severity : null;
    }

    /** Why a score is not paged, for the caller and the audit log. */
    public String suppressionReason(double score) {
        if (score < warningFrom) {
            return "score " + score + " is below the lowest band (" + warningFrom + ")";
        }
        return "severity below the configured minimum (" + minimum + ")";
    }

    public String minimum() {
        return minimum;
    }
}
