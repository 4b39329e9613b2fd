package io.infrasage.pagerduty.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class RestRateLimitTest {

    final AtomicLong now = new AtomicLong(1_000_000);
    final RestRateLimit limit = new RestRateLimit(now::get);

    @Test
    void callsGoOnWhileMoreThanWhatIsKeptIsLeftOnceThoseInFlightAreMade() {
        assertThat(limit.allows(240, 0)).as("nothing known yet").isTrue();
        limit.observe(200, "960", "241", "40");
        assertThat(limit.allows(240, 0)).isTrue();
        assertThat(limit.allows(240, 1)).isFalse();
        assertThat(limit.allows(0, 1)).isTrue();
        assertThat(limit.remaining()).isEqualTo(241);
        assertThat(limit.limit()).isEqualTo(960);
    }

    @Test
    void callsStopAtWhatIsKeptUntilTheWindowResets() {
        limit.observe(200, "960", "240", "40");
        assertThat(limit.allows(240, 0)).isFalse();
        now.addAndGet(39_000);
        assertThat(limit.allows(240, 0)).isFalse();
        now.addAndGet(1_000);
        assertThat(limit.allows(240, 0)).isTrue();
    }

    @Test
    void a429StopsEveryCallForAMinuteWhenPagerDutyGivesNoReset() {
        limit.observe(429, null, null, null);
        assertThat(limit.allows(0, 0)).isFalse();
        assertThat(limit.remaining()).isZero();
        now.addAndGet(59_000);
        assertThat(limit.allows(0, 0)).isFalse();
        now.addAndGet(1_000);
        assertThat(limit.allows(0, 0)).isTrue();
    }

    @Test
    void unreadableHeadersChangeNothing() {
        limit.observe(200, "lots", "", "soon");
        assertThat(limit.allows(240, 0)).isTrue();
        assertThat(limit.remaining()).isEqualTo(-1);
        assertThat(limit.limit()).isEqualTo(-1);
    }
}
