package io.infrasage.pagerduty.clickhouse;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builders for the rows the bundle writes: anomaly_state change rows and audit_log entries. A change row carries only
 * what changed; readers take argMax(column, version) per anomaly (see StateQueries).
 */
public final class StateRows {

    public static final String STATE = "anomaly_state";
    public static final String AUDIT = "audit_log";
    public static final String NOTES = "incident_notes";
    public static final String MEMORY = "incident_memory";
    public static final String DELIVERIES = "webhook_deliveries";

    private static final AtomicLong LAST_VERSION = new AtomicLong();
    private static final AtomicLong ARRIVALS = new AtomicLong();

    private StateRows() {
    }

    /** A version for a change made now: microseconds since the epoch, strictly increasing within this process. */
    public static long nextVersion() {
        long now = System.currentTimeMillis() * 1000;
        return LAST_VERSION.updateAndGet(last -> Math.max(last + 1, now));
    }

    /**
     * The version of something that happened at a known time (a webhook's occurred_at). PagerDuty's timestamps have
     * millisecond precision and two changes can share one (acknowledged, then unacknowledged); they arrive in order per
     * incident, so the arrival order breaks the tie in the sub-millisecond digits the timestamp leaves free.
     */
    public static long versionAt(Instant at) {
        long micros = at.getEpochSecond() * 1_000_000 + at.getNano() / 1000;
        return micros - micros % 1000 + ARRIVALS.getAndIncrement() % 1000;
    }

    public static Row.Builder state(String anomalyId, String changeId, long version, Instant at, String status) {
        return Row.into(STATE).set("anomaly_id", anomalyId).set("change_id", changeId).set("version", version)
                .set("changed_at", at).set("status", status);
    }

    public static Row.Builder audit(Instant at, String entryId, String anomalyId, String action, String actorKind,
                                    String actorName, String source) {
        return Row.into(AUDIT).set("at", at).set("entry_id", entryId).set("anomaly_id", anomalyId).set("action", action)
                .set("actor_kind", actorKind).set("actor_name", actorName).set("source", source);
    }
}
