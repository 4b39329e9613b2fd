package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/**
 * The running bundle sheds load at INFRASAGE_HTTP_MAX_IN_FLIGHT: a request being handled holds a place, the next one
 * gets 503 with a JSON error at once, health stays reachable, and the held request is answered normally.
 */
class LoadSheddingIT {

    @Test
    void pastTheLimitTheBundleAnswers503AtOnceAndTheAdmittedRequestCompletes() throws Exception {
        LocalClickHouse clickHouse = LocalClickHouse.shared();
        Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(LocalClickHouse.uniqueDatabase("it_shed")));
        s.put("infrasage.http-max-in-flight", "1");
        s.put("pagerduty.service-key", "S".repeat(32));
        s.put("pagerduty.events-url", "http://127.0.0.1:9/v2/enqueue"); // nothing listens: the page stays queued
        // the held request waits this long for PagerDuty's answer (which never comes) while it holds the only place
        s.put("anomaly.delivery-wait", "3s");
        try (RunningBundle bundle = RunningBundle.start(s)) {
            String id = "shed-" + System.nanoTime();
            CompletableFuture<HttpResponse<String>> held = HttpClient.newHttpClient().sendAsync(bundle.authorized(
                    HttpRequest.newBuilder(bundle.url("/api/v1/anomalies")).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"anomaly_id\":\"" + id + "\",\"service\":\"api\",\"score\":0.9}")))
                    .build(), HttpResponse.BodyHandlers.ofString());

            await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
                var shed = bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"other\",\"service\":\"api\",\"score\":0.9}");
                assertThat(shed.statusCode()).isEqualTo(503);
                assertThat(shed.headers().firstValue("Retry-After")).contains("1");
                assertThat(shed.body()).contains("\"error\":\"overloaded\"");
            });
            assertThat(held).isNotDone();
            assertThat(bundle.get(bundle.managementUrl("/observe/health")).statusCode()).isEqualTo(200);

            HttpResponse<String> answer = held.get(10, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).isEqualTo(202);
            assertThat(answer.body()).contains(id).contains("\"status\":\"queued\"");
            var metrics = bundle.get(bundle.managementUrl("/observe/metrics")).body();
            assertThat(metrics).containsPattern("infrasage_http_shed_total(\\{[^}]*\\})? [1-9]");
            assertThat(bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"after-" + id + "\",\"service\":\"api\",\"score\":0.9}")
                    .statusCode()).isEqualTo(202);
        }
    }
}
