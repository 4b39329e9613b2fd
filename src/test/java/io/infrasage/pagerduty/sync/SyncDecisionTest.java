package io.infrasage.pagerduty.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import io.infrasage.pagerduty.sync.SyncDecision.Action;
import io.infrasage.pagerduty.sync.SyncDecision.ClickHouseSide;
import io.infrasage.pagerduty.sync.SyncDecision.PagerDutySide;
import org.junit.jupiter.api.Test;

class SyncDecisionTest {

    static final Instant NOW = Instant.parse("2026-12-01T05:00:00Z");
    static final Duration GRACE = Duration.ofSeconds(30);
    static final Instant LONG_AGO = NOW.minusSeconds(600);
    static final Instant JUST_NOW = NOW.minusSeconds(5);

    static Action decide(String pdStatus, Instant pdChangedAt, String chStatus, String kind, Instant resolvedAt, Instant delivered) {
        return SyncDecision.decide(new PagerDutySide(pdStatus, pdChangedAt), new ClickHouseSide(chStatus, kind, resolvedAt, delivered),
                NOW, GRACE);
    }

    @Test
    void aRunbookResolveAnswered202WhileTheIncidentStaysUntouchedIsSentAgain() {
        Instant delivered = NOW.minusSeconds(60);
        assertThat(decide("triggered", LONG_AGO, "resolved", "runbook", NOW.minusSeconds(61), delivered)).isEqualTo(Action.RESEND_RESOLVE);
        assertThat(decide("acknowledged", LONG_AGO, "resolved", "runbook", NOW.minusSeconds(61), delivered)).isEqualTo(Action.RESEND_RESOLVE);
        assertThat(decide("triggered", delivered, "resolved", "runbook", NOW.minusSeconds(61), delivered))
                .as("the trigger reached PagerDuty in the same second as its resolve").isEqualTo(Action.RESEND_RESOLVE);
    }

    @Test
    void aResolveNotYetDeliveredOrJustDeliveredIsLeftToTheOutbox() {
        assertThat(decide("triggered", LONG_AGO, "resolved", "runbook", NOW.minusSeconds(60), null))
                .as("still in the outbox (PagerDuty down): queuing another would only pile up").isEqualTo(Action.NONE);
        assertThat(decide("triggered", NOW.minusSeconds(50), "resolved", "runbook", NOW.minusSeconds(60), null))
                .as("the trigger was delivered after the resolve was asked for, the resolve follows it").isEqualTo(Action.NONE);
        assertThat(decide("triggered", LONG_AGO, "resolved", "runbook", JUST_NOW, JUST_NOW))
                .as("PagerDuty processes events asynchronously").isEqualTo(Action.NONE);
    }

    @Test
    void anIncidentSomeoneReopenedAfterItWasResolvedIsNeverResolvedAgain() {
        assertThat(decide("triggered", NOW.minusSeconds(60), "resolved", "runbook", NOW.minusSeconds(130), NOW.minusSeconds(120)))
                .isEqualTo(Action.WRITE_REOPENED);
        assertThat(decide("acknowledged", NOW.minusSeconds(60), "resolved", "runbook", NOW.minusSeconds(130), NOW.minusSeconds(120)))
                .isEqualTo(Action.WRITE_ACKNOWLEDGED);
        assertThat(decide("triggered", NOW.minusSeconds(60), "resolved", "engineer", NOW.minusSeconds(120), null))
                .isEqualTo(Action.WRITE_REOPENED);
        assertThat(decide("triggered", NOW.minusSeconds(200), "resolved", "engineer", NOW.minusSeconds(120), null))
                .as("ClickHouse's resolution is the newer fact").isEqualTo(Action.NONE);
    }

    @Test
    void anAcknowledgementWhoseWebhookNeverCameIsWritten() {
        for (String open : new String[] {"queued", "sent", "triggered"}) {
            assertThat(decide("acknowledged", LONG_AGO, open, null, null, null)).as(open).isEqualTo(Action.WRITE_ACKNOWLEDGED);
        }
        assertThat(decide("acknowledged", LONG_AGO, "acknowledged", null, null, null)).isEqualTo(Action.NONE);
    }

    @Test
    void aResolutionWhoseWebhookNeverCameIsWritten() {
        assertThat(decide("resolved", LONG_AGO, "acknowledged", null, null, null)).isEqualTo(Action.WRITE_RESOLVED);
        assertThat(decide("resolved", LONG_AGO, "resolved", "engineer", LONG_AGO, null)).isEqualTo(Action.NONE);
        assertThat(decide("resolved", LONG_AGO, "failed", null, null, null)).isEqualTo(Action.NONE);
    }

    @Test
    void anUnacknowledgementWhoseWebhookNeverCameIsWritten() {
        assertThat(decide("triggered", LONG_AGO, "acknowledged", null, null, null)).isEqualTo(Action.WRITE_UNACKNOWLEDGED);
    }

    @Test
    void aChangeYoungerThanTheGraceWaitsForItsWebhook() {
        assertThat(decide("acknowledged", JUST_NOW, "triggered", null, null, null)).isEqualTo(Action.NONE);
        assertThat(decide("resolved", JUST_NOW, "triggered", null, null, null)).isEqualTo(Action.NONE);
        assertThat(decide("triggered", JUST_NOW, "acknowledged", null, null, null)).isEqualTo(Action.NONE);
        assertThat(decide("triggered", JUST_NOW, "resolved", "engineer", LONG_AGO, null)).isEqualTo(Action.NONE);
    }

    @Test
    void anAnomalyPagerDutyDoesNotKnowIsLeftAlone() {
        assertThat(decide(null, null, "sent", null, null, null)).isEqualTo(Action.NONE);
    }
}
