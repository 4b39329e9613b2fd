package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/**
 * A lookup the REST budget has no room for is deferred, not made over budget: the webhook is persisted and answered
 * at once with what it said, and the lookup is made, and its rows written, once the budget has room again. Here the
 * room is taken by another tool holding the same token, which the bundle learns from PagerDuty's ratelimit headers.
 */
class DeferredLookupIT {

    static final String KEY = "D".repeat(28) + "efr1";
    /** PagerDuty's window made short (and small) so that its reset comes within the test. */
    static final int REST_LIMIT = 8;
    static final Duration REST_WINDOW = Duration.ofSeconds(10);

    private final LocalClickHouse clickHouse = LocalClickHouse.shared();

    @Test
    void aTrimmedNoteTheBudgetHasNoRoomToFetchIsKeptTrimmedThenFetchedInFullOnceItHas() {
        int port = FreePorts.next();
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().restRateLimitPerMinute(REST_LIMIT).restRateLimitWindow(REST_WINDOW)
                .webhook("http://127.0.0.1:" + port + "/api/v1/pagerduty/webhook", List.of(RunningBundle.SECRET)).start()) {
            String db = LocalClickHouse.uniqueDatabase("it_deferred");
            Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(db), sandbox);
            s.put("camel.server.port", Integer.toString(port));
            s.put("pagerduty.service-key", KEY);
            // no sync: only verification and the webhook's lookup spend the token here
            s.put("infrasage.reconcile-interval", "0");
            try (RunningBundle bundle = RunningBundle.start(s)) {
                String id = "deferred-note-" + System.nanoTime();
                assertThat(bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + id + "\",\"service\":\"payment-api\",\"score\":0.9}")
                        .statusCode()).isEqualTo(202);
                await().atMost(Duration.ofSeconds(15)).until(() -> clickHouse.query("SELECT argMaxIf(incident_id, version, "
                        + "incident_id != '') FROM " + db + ".anomaly_state WHERE anomaly_id = '" + id + "'").startsWith("Q"));
                String incident = sandbox.incidentByKey("infrasage-" + id).orElseThrow().id();

                // another tool holding the same token spends most of its window; the bundle's verification listing reads
                // what is left from PagerDuty's ratelimit-remaining: 1, below the reserve lookups leave (a quarter of 8)
                for (int i = 0; i < REST_LIMIT - 2; i++) {
                    assertThat(RunningBundle.send(HttpRequest.newBuilder(URI.create(sandbox.rootUrl() + "/incidents"))
                            .header("Authorization", "Token token=" + sandbox.apiToken()).GET().build()).statusCode()).isEqualTo(200);
                }
                assertThat(bundle.get(bundle.url("/api/v1/pagerduty/incidents")).statusCode()).isEqualTo(200);
                String longNote = "Root cause: " + "a connection pool far too small for the load. ".repeat(40);
                sandbox.annotate(incident, "Alice Example", longNote);

                // persisted at once, trimmed as the webhook carried it, and the fetch of the whole note deferred
                await().atMost(Duration.ofSeconds(5)).until(() -> clickHouse.count("SELECT count() FROM " + db
                        + ".incident_notes WHERE incident_id = '" + incident + "' AND trimmed = 1") == 1);
                assertThat(MetricsIT.Scrape.of(bundle).value("infrasage_webhook_lookups_total", Map.of("outcome", "deferred")))
                        .isEqualTo(1.0);

                // PagerDuty's window resets: the note is read in full and replaces the trimmed one
                await().atMost(REST_WINDOW.plusSeconds(10)).until(() -> clickHouse.query("SELECT trimmed, length(content) FROM " + db
                        + ".incident_notes FINAL WHERE incident_id = '" + incident + "' FORMAT TSV").equals("0\t" + longNote.length()));
                assertThat(MetricsIT.Scrape.of(bundle).value("infrasage_webhook_lookups_total", Map.of("outcome", "completed")))
                        .isEqualTo(1.0);
                assertThat(clickHouse.count("SELECT count() FROM " + db + ".webhook_deliveries WHERE incident_id = '" + incident
                        + "' AND event_id LIKE 'deferred-%'")).isEqualTo(1);
                assertThat(sandbox.restThrottledCount()).isZero();
                assertThat(sandbox.webhookAttempts()).extracting(a -> a.status()).containsOnly(200);
            }
        }
    }
}
