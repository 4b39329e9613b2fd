package io.infrasage.pagerduty.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The per-routing-key token bucket: the burst goes out at once, then one event per refill, each key on its own. */
class RoutingKeyPaceTest {

    @Test
    void aKeyTakesItsBurstThenWaitsForItsRefillWhileAnotherKeyIsNotHeldBack() {
        // 62 a minute with a burst of 2: 60 more spread over 62 s, about one every 1,033 ms
        RoutingKeyPace pace = new RoutingKeyPace(62, 2);
        long now = System.currentTimeMillis();

        assertThat(pace.available("a", now)).isEqualTo(2);
        assertThat(pace.take("a", now)).isZero();
        assertThat(pace.take("a", now)).isZero();
        assertThat(pace.heldFor("a", now)).as("not held back before a token was missing").isZero();
        long wait = pace.take("a", now);

        assertThat(wait).isBetween(900L, 1100L);
        assertThat(pace.millisToNext("a")).isBetween(900L, 1100L);
        assertThat(pace.available("a", now)).isZero();
        assertThat(pace.heldFor("a", now + 500)).isEqualTo(500);
        assertThat(pace.take("b", now)).isZero();
        assertThat(pace.heldFor("b", now + 500)).isZero();
    }
}
