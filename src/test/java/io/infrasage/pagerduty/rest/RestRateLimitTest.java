package io.infrasage.pagerduty.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class RestRateLimitTest {

    final AtomicLong now = new AtomicLong(1_000_000);
    final RestRateLimit limit = new RestRateLimit(now::get);

    @Test
    void backgroundCallsGoOnWhileMoreThanAQuarterOfTheWindowIsLeft() {
        assertThat(limit.allowsBackgroundCall()).as("nothing known yet").isTrue();
        limit.observe(200, "960", "241", "40");
        assertThat(limit.allowsBackgroundCall()).isTrue();
        assertThat(limit.remaining()).isEqualTo(241);
    }

    @Test
    void backgroundCallsStopAtTheReserveUntilTheWindowResets() {
        limit.observe(200, "960", "240", "40");
        assertThat(limit.allowsBackgroundCall()).isFalse();
        now.addAndGet(39_000);
        assertThat(limit.allowsBackgroundCall()).isFalse();
        now.addAndGet(1_000);
        assertThat(limit.allowsBackgroundCall()).isTrue();
    }

    @Test
    void a429StopsBackgroundCallsForAMinuteWhenPagerDutyGivesNoReset() {
        limit.observe(429, null, null, null);
        assertThat(limit.allowsBackgroundCall()).isFalse();
        assertThat(limit.remaining()).isZero();
        now.addAndGet(59_000);
        assertThat(limit.allowsBackgroundCall()).isFalse();
        now.addAndGet(1_000);
        assertThat(limit.allowsBackgroundCall()).isTrue();
    }

    @Test
    void unreadableHeadersChangeNothing() {
        limit.observe(200, "lots", "", "soon");
        assertThat(limit.allowsBackgroundCall()).isTrue();
        assertThat(limit.remaining()).isEqualTo(-1);
    }
}
