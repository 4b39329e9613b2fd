package io.infrasage.pagerduty.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import io.infrasage.pagerduty.outbox.DeliveryPolicy.Decision;
import io.infrasage.pagerduty.outbox.DeliveryPolicy.Delivered;
import io.infrasage.pagerduty.outbox.DeliveryPolicy.Rejected;
import io.infrasage.pagerduty.outbox.DeliveryPolicy.Retry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeliveryPolicyTest {

    private static final Duration INITIAL = Duration.ofSeconds(1);
    private static final Duration MAX = Duration.ofSeconds(60);
    private static final Duration THROTTLED = Duration.ofSeconds(30);
    /** Jitter adds up to 20% on top of the exponential delay. */
    private static final double JITTER = 1.2;
    /** The jitter is random: bounds are checked on many draws. */
    private static final int SAMPLES = 50;

    private final DeliveryPolicy policy = new DeliveryPolicy(INITIAL, MAX, THROTTLED);

    private Retry retry(int status, String retryAfter, int attempts) {
        Decision d = policy.decide(status, retryAfter, attempts, "detail");
        assertThat(d).isInstanceOf(Retry.class);
        return (Retry) d;
    }

    private static Duration millis(double ms) {
        return Duration.ofMillis((long) ms);
    }

    @Test
    void status202IsDelivered() {
        assertThat(policy.decide(202, null, 0, "")).isInstanceOf(Delivered.class);
    }

    @Test
    void status400IsRejectedWithPagerDutysMessage() {
        Decision d = policy.decide(400, null, 0, "{\"status\":\"invalid event\",\"errors\":[\"'severity' is missing\"]}");

        assertThat(d).isInstanceOf(Rejected.class);
        assertThat(((Rejected) d).reason()).contains("400").contains("'severity' is missing");
    }

    @Test
    void status400IsRejectedEvenWithARetryAfterHeader() {
        assertThat(policy.decide(400, "5", 3, "bad")).isInstanceOf(Rejected.class);
    }

    @Test
    void status429WaitsTheRetryAfterSecondsWhenGiven() {
        Retry r = retry(429, "10", 0);

        assertThat(r.delay()).isEqualTo(Duration.ofSeconds(10));
        assertThat(r.reason()).contains("429");
    }

    @Test
    void status429WithoutRetryAfterWaitsTheThrottledDelay() {
        assertThat(retry(429, null, 5).delay()).isEqualTo(THROTTLED);
        assertThat(retry(429, " ", 0).delay()).isEqualTo(THROTTLED);
    }

    @Test
    void status429WithAnHttpDateRetryAfterWaitsTheThrottledDelay() {
        assertThat(retry(429, "Wed, 21 Oct 2015 07:28:00 GMT", 0).delay()).isEqualTo(THROTTLED);
    }

    @ParameterizedTest(name = "status {0} is retried with backoff")
    @ValueSource(ints = {500, 502, 503, DeliveryPolicy.NO_ANSWER})
    void serverErrorsAndNoAnswerAreRetriedWithBackoffFromTheInitialDelay(int status) {
        Duration delay = retry(status, null, 0).delay();

        assertThat(delay).isBetween(INITIAL, millis(INITIAL.toMillis() * JITTER));
    }

    @Test
    void backoffDoublesWithEachAttemptWithinTheJitter() {
        for (int sample = 0; sample < SAMPLES; sample++) {
            for (int attempts = 0; attempts <= 5; attempts++) {
                long base = INITIAL.toMillis() << attempts;
                assertThat(retry(503, null, attempts).delay()).as("attempt %d", attempts)
                        .isBetween(Duration.ofMillis(base), millis(base * JITTER));
            }
        }
    }

    @Test
    void laterAttemptsWaitLonger() {
        // attempt 3 is at least 8 s, attempt 1 at most 2.4 s, whatever the jitter
        assertThat(retry(500, null, 3).delay()).isGreaterThan(retry(500, null, 1).delay());
    }

    @Test
    void backoffIsCappedAtTheMaximumDelayJitterIncluded() {
        for (int sample = 0; sample < SAMPLES; sample++) {
            assertThat(retry(502, null, 6).delay()).isEqualTo(MAX); // 64 s > 60 s
            assertThat(retry(502, null, 10).delay()).isEqualTo(MAX);
            assertThat(retry(502, null, 1_000).delay()).isEqualTo(MAX);
        }
    }

    @Test
    void backoffJustBelowTheCapNeverExceedsIt() {
        DeliveryPolicy p = new DeliveryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(35), THROTTLED);
        for (int sample = 0; sample < SAMPLES; sample++) {
            // 32 s plus up to 20% would be 38.4 s
            Decision d = p.decide(500, null, 5, "");
            assertThat(((Retry) d).delay()).isBetween(Duration.ofSeconds(32), Duration.ofSeconds(35));
        }
    }

    @Test
    void retryAfterOverridesBackoffFor503() {
        assertThat(retry(503, "7", 9).delay()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void httpDateRetryAfterFallsBackToBackoff() {
        Duration delay = retry(503, "Wed, 21 Oct 2015 07:28:00 GMT", 2).delay();

        assertThat(delay).isBetween(Duration.ofSeconds(4), millis(4000 * JITTER));
    }

    @Test
    void negativeRetryAfterFallsBackToBackoff() {
        assertThat(retry(503, "-5", 0).delay()).isBetween(INITIAL, millis(INITIAL.toMillis() * JITTER));
    }

    @Test
    void noAnswerReasonCarriesTheNetworkError() {
        assertThat(retry(DeliveryPolicy.NO_ANSWER, null, 0, "Connection refused").reason())
                .isEqualTo("no answer from PagerDuty: Connection refused");
    }

    @Test
    void serverErrorReasonNamesTheStatus() {
        assertThat(retry(502, null, 0).reason()).isEqualTo("PagerDuty answered 502");
    }

    @Test
    void unexpectedStatusesAreRetriedNotDropped() {
        assertThat(policy.decide(404, null, 0, "")).isInstanceOf(Retry.class);
        assertThat(policy.decide(413, null, 0, "")).isInstanceOf(Retry.class);
    }

    @Test
    void retryAfterParsesWholeSecondsAndIgnoresTheRest() {
        assertThat(DeliveryPolicy.retryAfter(" 120 ")).isEqualTo(Duration.ofSeconds(120));
        assertThat(DeliveryPolicy.retryAfter("0")).isEqualTo(Duration.ZERO);
        assertThat(DeliveryPolicy.retryAfter(null)).isNull();
        assertThat(DeliveryPolicy.retryAfter("1.5")).isNull();
    }

    private Retry retry(int status, String retryAfter, int attempts, String detail) {
        Decision d = policy.decide(status, retryAfter, attempts, detail);
        assertThat(d).isInstanceOf(Retry.class);
        return (Retry) d;
    }
}
