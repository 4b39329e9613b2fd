package io.infrasage.pagerduty.outbox;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;

/**
 * The pace of each routing key: a token bucket sized so no 60 s window carries more than PagerDuty's per-key limit, so
 * a storm queues instead of being refused. Also how long each key has been held back by it, for the attempts' headers.
 */
public final class RoutingKeyPace {

    /** How much later than the event sent after it an event may reach PagerDuty without crossing its limit. */
    static final Duration ARRIVAL_JITTER = Duration.ofSeconds(2);

    private final int ratePerMinute;
    private final int burst;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    /** When each key held back by its pace first had no token (epoch millis). */
    private final Map<String, Long> heldSince = new ConcurrentHashMap<>();

    public RoutingKeyPace(int ratePerMinute, int burst) {
        this.ratePerMinute = ratePerMinute;
        this.burst = burst;
    }

    /**
     * Bucket4j refills greedily: with capacity B and a refill of (L - B) per minute, no 60 s window of sending holds
     * more than L events. PagerDuty counts arrivals, not sends, and one event may take longer to get there than the
     * next, which draws 429s at the edge of the limit. The refill is therefore spread over 60 s
     * plus {@link #ARRIVAL_JITTER}, so no 60 s window of arrivals exceeds L while sends vary by up to that much.
     */
    private Bucket bucket(String routingKey) {
        return buckets.computeIfAbsent(routingKey, k -> Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(burst).refillGreedy(ratePerMinute - burst, Duration.ofMinutes(1).plus(ARRIVAL_JITTER))
                        .initialTokens(burst).build())
                .build());
    }

    /** Tokens the key has now; with none, it is held back from now on. */
    long available(String routingKey, long nowMillis) {
        long tokens = bucket(routingKey).getAvailableTokens();
        if (tokens < 1) {
            heldSince.putIfAbsent(routingKey, nowMillis);
        }
        return tokens;
    }

    /** Milliseconds until the key has a token again. */
    long millisToNext(String routingKey) {
        return TimeUnit.NANOSECONDS.toMillis(bucket(routingKey).estimateAbilityToConsume(1).getNanosToWaitForRefill()) + 1;
    }

    /** Takes one token: 0 when taken, else the milliseconds until there is one (the key is held back meanwhile). */
    long take(String routingKey, long nowMillis) {
        var probe = bucket(routingKey).tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) {
            return 0;
        }
        heldSince.putIfAbsent(routingKey, nowMillis);
        return TimeUnit.NANOSECONDS.toMillis(probe.getNanosToWaitForRefill()) + 1;
    }

    /** How long the key has been held back by its pace (0 when it is not); it is free again once a token is left over. */
    long heldFor(String routingKey, long nowMillis) {
        if (bucket(routingKey).getAvailableTokens() >= 1) {
            heldSince.remove(routingKey);
        }
        Long since = heldSince.get(routingKey);
        return since == null ? 0 : Math.max(0, nowMillis - since);
    }
}
