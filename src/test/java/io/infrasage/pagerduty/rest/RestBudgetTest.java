package io.infrasage.pagerduty.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import io.infrasage.pagerduty.rest.RestBudget.Share;
import org.junit.jupiter.api.Test;

class RestBudgetTest {

    final AtomicLong now = new AtomicLong(1_000_000);
    final RestBudget budget = new RestBudget(100, now::get);

    private int take(Share share, int tries) {
        int taken = 0;
        for (int i = 0; i < tries; i++) {
            Optional<RestBudget.Ticket> ticket = budget.take(share);
            if (ticket.isPresent()) {
                ticket.get().close();
                taken++;
            }
        }
        return taken;
    }

    @Test
    void lookupsThatCanWaitStopWhereTheReserveOfVerificationAndTheSyncBegins() {
        assertThat(take(Share.SPARE, 1000)).isEqualTo(75);
        assertThat(budget.allows(Share.SPARE)).isFalse();
        assertThat(take(Share.VERIFICATION, 1000)).as("the reserve is still whole").isEqualTo(25);
        assertThat(budget.allows(Share.VERIFICATION)).isFalse();
        assertThat(budget.calls()).isEqualTo(100);
    }

    @Test
    void theSyncLeavesTheTokensLastRequestsToAVerificationListing() {
        assertThat(take(Share.SYNC, 1000)).isEqualTo(90);
        assertThat(take(Share.VERIFICATION, 1000)).isEqualTo(10);
        RestBudget small = new RestBudget(40, now::get);
        assertThat(RestBudget.kept(Share.SYNC, 40)).as("half the reserve when it is small").isEqualTo(5);
        assertThat(RestBudget.kept(Share.SYNC, 960)).as("one listing's pages").isEqualTo(10);
        assertThat(RestBudget.kept(Share.SPARE, 960)).isEqualTo(240);
        assertThat(small.allows(Share.SYNC)).isTrue();
    }

    @Test
    void neverMoreCallsInAWindowThanTheLimitAndTheWindowSlidesFromTheEndOfEachCall() {
        assertThat(take(Share.VERIFICATION, 60)).isEqualTo(60);
        now.addAndGet(30_000);
        assertThat(take(Share.VERIFICATION, 1000)).isEqualTo(40);
        now.addAndGet(29_999);
        assertThat(budget.allows(Share.VERIFICATION)).as("the first calls ended 59.999 s ago").isFalse();
        now.addAndGet(1);
        assertThat(take(Share.VERIFICATION, 1000)).isEqualTo(60);
    }

    @Test
    void callsUnderWayCountUntilTheirAnswerIsIn() {
        List<RestBudget.Ticket> underWay = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            underWay.add(budget.take(Share.VERIFICATION).orElseThrow());
        }
        assertThat(budget.take(Share.VERIFICATION)).isEmpty();
        now.addAndGet(120_000);
        assertThat(budget.take(Share.VERIFICATION)).as("still under way after two minutes").isEmpty();
        underWay.forEach(RestBudget.Ticket::close);
        underWay.get(0).close(); // twice changes nothing
        assertThat(budget.take(Share.VERIFICATION)).isEmpty();
        now.addAndGet(60_000);
        assertThat(take(Share.VERIFICATION, 1000)).isEqualTo(100);
    }

    @Test
    void pagerDutysLowerLimitAndItsRemainingCountWin() {
        budget.observe(200, "40", "40", "60");
        assertThat(budget.limit()).isEqualTo(40);
        assertThat(take(Share.SPARE, 1000)).isEqualTo(30);
        // another tool spends the same token: PagerDuty says only 5 remain
        budget.observe(200, "40", "5", "60");
        assertThat(budget.allows(Share.SPARE)).isFalse();
        assertThat(budget.allows(Share.VERIFICATION)).isTrue();
        budget.observe(429, "40", "0", "60");
        assertThat(budget.allows(Share.VERIFICATION)).isFalse();
    }

    @Test
    void aHigherLimitFromPagerDutyDoesNotRaiseTheConfiguredOne() {
        budget.observe(200, "960", "959", "60");
        assertThat(budget.limit()).isEqualTo(100);
    }
}
