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
     * @param resolvedAt         when it was resolved (for a runbook: when the resolve was asked for)
     * @param resolveDeliveredAt when PagerDuty last answered 202 to the runbook's resolve (its resolve_delivered audit
     *                           entry); null while the resolve is still on its way (or there is none)
     */
    public record ClickHouseSide(String status, String resolvedByKind, Instant resolvedAt, Instant resolveDeliveredAt) {
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
            Instant resolvedInPagerDuty;
            if ("runbook".equals(ch.resolvedByKind())) {
                if (ch.resolveDeliveredAt() == null) {
                    return Action.NONE; // our resolve is still on its way: whatever PagerDuty lists now came before it
                }
                resolvedInPagerDuty = ch.resolveDeliveredAt();
                // untouched in PagerDuty since our resolve reached it (both times in whole seconds): it was lost
                if (pd.changedAt() == null || !pd.changedAt().isAfter(resolvedInPagerDuty)) {
                    return resolvedInPagerDuty.plus(grace).isAfter(now) ? Action.NONE : Action.RESEND_RESOLVE;
                }
            } else {
                resolvedInPagerDuty = ch.resolvedAt();
            }
            // changed in PagerDuty after it was resolved: a person's decision, never resolved over
            boolean changedSince = pd.changedAt() != null && resolvedInPagerDuty != null && pd.changedAt().isAfter(resolvedInPagerDuty);
            if (!changedSince || !settled) {
                return Action.NONE;
            }
            return pd.status().equals("acknowledged") ? Action.WRITE_ACKNOWLEDGED : Action.WRITE_REOPENED;
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
