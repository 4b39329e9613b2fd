package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/**
 * The rate limit is per routing key, and so is the wait: one team's storm, held back by PagerDuty's limit, must not
 * delay another team's page behind it.
 */
class ThrottledTeamIT {

    static final String STORM_KEY = "A".repeat(32);
    static final String QUIET_KEY = "B".repeat(32);

    @Test
    void aPageForAQuietTeamIsDeliveredWhileAnotherTeamsBacklogWaitsForItsRateLimit() throws Exception {
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().port(0).start()) {
            Map<String, String> s = RunningBundle.baseSettings(LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase("it_fair")));
            s.put("pagerduty.events-url", sandbox.eventsUrl());
            s.put("pagerduty.routing-rules", "[{\"service_pattern\":\"storm-*\",\"service_key\":\"" + STORM_KEY + "\",\"team\":\"storm\"},"
                    + "{\"service_pattern\":\"*\",\"service_key\":\"" + QUIET_KEY + "\",\"team\":\"quiet\"}]");
            s.put("pagerduty.rate-limit-per-minute", "20");
            s.put("pagerduty.rate-limit-burst", "10");
            try (RunningBundle bundle = RunningBundle.start(s)) {
                // more queued events of one key than the dispatcher reads in one poll
                int storm = 700;
                AtomicInteger accepted = new AtomicInteger();
                ExecutorService posters = Executors.newFixedThreadPool(16);
                String prefix = "storm-" + System.nanoTime() + "-";
                for (int i = 0; i < storm; i++) {
                    String id = prefix + i;
                    posters.execute(() -> {
                        if (bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + id + "\",\"service\":\"storm-api\",\"score\":0.9}")
                                .statusCode() == 202) {
                            accepted.incrementAndGet();
                        }
                    });
                }
                posters.shutdown();
                assertThat(posters.awaitTermination(2, TimeUnit.MINUTES)).isTrue();
                assertThat(accepted.get()).isEqualTo(storm);
                await().atMost(Duration.ofSeconds(10)).until(() -> sandbox.events().size() >= 10);

                String quiet = "quiet-" + System.nanoTime();
                assertThat(bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + quiet + "\",\"service\":\"billing\",\"score\":0.9}")
                        .statusCode()).isEqualTo(202);
                long posted = System.nanoTime();
                await().atMost(Duration.ofSeconds(10)).until(() -> sandbox.incidentByKey("infrasage-" + quiet).isPresent());
                System.out.printf("quiet team's page reached PagerDuty %.0f ms after it was posted%n", (System.nanoTime() - posted) / 1e6);
                // the storm's key stays within its own pace meanwhile: burst 10, then 10 per minute
                assertThat(sandbox.events().stream().filter(e -> STORM_KEY.equals(e.routingKey())).count()).isLessThanOrEqualTo(12);
            }
        }
    }
}
