package io.infrasage.pagerduty.sync;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * What the self-healing sync does about one anomaly, from what PagerDuty lists and what ClickHouse holds. PagerDuty is
 * the truth for what people did there (acknowledge, resolve, reopen); the bundle is the truth for the resolves its
 * runbooks asked for. Changes younger than the grace are left alone: their webhook may still be on its way.
 */
public final class SyncDecision {

    public enum Action {
        /** nothing to repair */
        NONE,
        /** the runbook's resolve was answered 202 but PagerDuty still lists the incident open: send it again */
        RESEND_RESOLVE,
        /** write what an incident.acknowledged webhook would have written */
        WRITE_ACKNOWLEDGED,
        /** write what an incident.unacknowledged webhook would have written (back to triggered) */
        WRITE_UNACKNOWLEDGED,
        /** write what an incident.resolved webhook would have written */
        WRITE_RESOLVED,
        /** write what an incident.reopened webhook would have written */
        WRITE_REOPENED
    }

    /** ClickHouse statuses of an anomaly whose incident may be open in PagerDuty. */
    static final Set<String> OPEN = Set.of("queued", "sent", "triggered", "acknowledged");

    /**
     * The incident as PagerDuty lists it.
     *
     * @param status    triggered, acknowledged or resolved; null when PagerDuty has no incident for the anomaly
     * @param changedAt its last_status_change_at (null if unknown)
     */
    public record PagerDutySide(String status, Instant changedAt) {
    }

    /**
     * The anomaly as ClickHouse holds it.
     *
     * @param resolvedAt       when it was resolved (for a runbook: when the resolve was asked for)
     * @param resolveDelivered PagerDuty answered 202 to the runbook's resolve (its resolve_delivered audit entry)
     */
    public record ClickHouseSide(String status, String resolvedByKind, Instant resolvedAt, boolean resolveDelivered) {
    }

    private SyncDecision() {
    }

    public static Action decide(PagerDutySide pd, ClickHouseSide ch, Instant now, Duration grace) {
        if (pd.status() == null || ch.status() == null) {
            return Action.NONE;
        }
        boolean settled = pd.changedAt() == null || !pd.changedAt().plus(grace).isAfter(now);
        if (pd.status().equals("resolved")) {
            return OPEN.contains(ch.status()) && settled ? Action.WRITE_RESOLVED : Action.NONE;
        }
        if (ch.status().equals("resolved")) {
            boolean changedSinceResolve = pd.changedAt() != null && ch.resolvedAt() != null && pd.changedAt().isAfter(ch.resolvedAt());
            if ("runbook".equals(ch.resolvedByKind()) && !changedSinceResolve) {
                // untouched in PagerDuty since before our resolve, which PagerDuty answered 202: it was lost
                boolean due = ch.resolveDelivered() && (ch.resolvedAt() == null || !ch.resolvedAt().plus(grace).isAfter(now));
                return due ? Action.RESEND_RESOLVE : Action.NONE;
            }
            // someone opened it again after it was resolved: never resolve over a person's decision
            return changedSinceResolve && settled ? Action.WRITE_REOPENED : Action.NONE;
        }
        if (pd.status().equals("acknowledged") && OPEN.contains(ch.status()) && !ch.status().equals("acknowledged")) {
            return settled ? Action.WRITE_ACKNOWLEDGED : Action.NONE;
        }
        if (pd.status().equals("triggered") && ch.status().equals("acknowledged")) {
            return settled ? Action.WRITE_UNACKNOWLEDGED : Action.NONE;
        }
        return Action.NONE;
    }
}
