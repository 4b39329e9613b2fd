package io.infrasage.pagerduty.memory;

import java.time.Instant;

/**
 * One resolved incident of a service, as a page shows it: which anomaly, when and by whom it was resolved, its root
 * cause and its notes (both already cut to a readable length, with a mark), and a link to the incident.
 *
 * @param rootCauseKey the root cause normalised for comparison (see {@link #rootCauseKey(String)})
 * @param version      the incident_memory row's version: a later note rewrites the row with a higher one
 */
public record PastResolution(String anomalyId, String incidentId, String service, String rootCause, String rootCauseKey,
                             String note, String resolvedBy, Instant resolvedAt, String incidentUrl, long version) {

    /** Longer normalised root causes are compared by their start and a hash of the whole: the view stays small. */
    static final int ROOT_CAUSE_KEY_CHARS = 200;

    /**
     * Root causes are the same when they read the same: case and runs of white space do not count. InfraSage's RCA
     * names a recurring cause with the same words; anything fuzzier would rank unrelated notes first.
     */
    public static String rootCauseKey(String rootCause) {
        if (rootCause == null || rootCause.isBlank()) {
            return "";
        }
        String normalised = rootCause.strip().replaceAll("\\s+", " ").toLowerCase(java.util.Locale.ROOT);
        return normalised.length() <= ROOT_CAUSE_KEY_CHARS ? normalised
                : normalised.substring(0, ROOT_CAUSE_KEY_CHARS) + "#" + Integer.toHexString(normalised.hashCode());
    }

    /** The same incident memory (one row per anomaly and incident in ClickHouse). */
    boolean sameEntryAs(PastResolution other) {
        return anomalyId.equals(other.anomalyId) && incidentId.equals(other.incidentId);
    }
}
