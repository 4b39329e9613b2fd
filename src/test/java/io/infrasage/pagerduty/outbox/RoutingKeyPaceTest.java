package io.infrasage.pagerduty.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The per-routing-key pace: the burst goes out at once, then one event per refill, each key on its own; and the window of
 * answers, which keeps PagerDuty's count of arrivals under the limit however late events arrive.
 */
class RoutingKeyPaceTest {

    @Test
    void aKeyTakesItsBurstThenWaitsForItsRefillWhileAnotherKeyIsNotHeldBack() {
        // 62 a minute with a burst of 2: 60 more spread over the minute, one every 1,000 ms
        RoutingKeyPace pace = new RoutingKeyPace(62, 2);
        long now = System.currentTimeMillis();

        assertThat(pace.available("a", now)).isEqualTo(2);
        assertThat(pace.take("a", now)).isZero();
        assertThat(pace.take("a", now)).isZero();
        assertThat(pace.heldFor("a", now)).as("not held back before a token was missing").isZero();
        long wait = pace.take("a", now);

        assertThat(wait).isBetween(900L, 1100L);
        assertThat(pace.millisToNext("a", now)).isBetween(900L, 1100L);
        assertThat(pace.available("a", now)).isZero();
        assertThat(pace.heldFor("a", now + 500)).isEqualTo(500);
        assertThat(pace.take("b", now)).isZero();
        assertThat(pace.heldFor("b", now + 500)).isZero();
    }

    @Test
    void anEventCountsUntilAMinuteAfterItsAnswerAndWhileInFlight() {
        RoutingKeyPace.AnswerWindow window = new RoutingKeyPace.AnswerWindow(2);
        window.sent();
        window.sent();
        assertThat(window.room(0)).isZero();
        assertThat(window.millisToRoom(0)).as("both still in flight: look again soon").isPositive().isLessThan(1000);
        window.answered(1_000);
        window.answered(1_500);
        assertThat(window.room(60_999)).as("answered 59.999 s ago").isZero();
        assertThat(window.millisToRoom(2_000)).isEqualTo(59_001);
        assertThat(window.room(61_000)).isEqualTo(1);
        assertThat(window.room(61_500)).isEqualTo(2);
    }

    /**
     * Sends as fast as the window lets, each event reaching PagerDuty at a random moment between its send and its answer
     * (answers taking up to 8 s, as under a storm): no 60 s of arrivals ever holds more than the limit.
     */
    @Test
    void noMinuteOfArrivalsHoldsMoreThanTheLimitHoweverLateEventsArrive() {
        int limit = 120;
        RoutingKeyPace.AnswerWindow window = new RoutingKeyPace.AnswerWindow(limit);
        Random random = new Random(7);
        List<long[]> inFlight = new ArrayList<>(); // {answeredAt, arrivedAt}
        List<Long> arrivals = new ArrayList<>();
        for (long now = 0; now < 600_000; now += 50) {
            for (var it = inFlight.iterator(); it.hasNext(); ) {
                long[] e = it.next();
                if (e[0] <= now) {
                    window.answered(e[0]);
                    it.remove();
                }
            }
            while (window.millisToRoom(now) == 0) {
                window.sent();
                long answeredAt = now + 10 + random.nextInt(8_000);
                long arrivedAt = now + (long) (random.nextDouble() * (answeredAt - now));
                inFlight.add(new long[] {answeredAt, arrivedAt});
                arrivals.add(arrivedAt);
            }
        }
        List<Long> sorted = arrivals.stream().sorted().toList();
        int most = 0;
        for (int i = 0, j = 0; i < sorted.size(); i++) {
            while (sorted.get(i) - sorted.get(j) >= 60_000) {
                j++;
            }
            most = Math.max(most, i - j + 1);
        }
        assertThat(sorted).as("events sent in ten minutes").hasSizeGreaterThan(5 * limit);
        assertThat(most).as("most arrivals in any 60 s").isLessThanOrEqualTo(limit);
    }
}
