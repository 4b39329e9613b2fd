package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/**
 * The running bundle sheds load at INFRASAGE_HTTP_MAX_IN_FLIGHT: a caller still uploading its body holds a place, the
 * next one gets 503 with a JSON error at once, health stays reachable, and the held request is answered normally.
 */
class LoadSheddingTest {

    @Test
    void pastTheLimitTheBundleAnswers503AtOnceAndTheAdmittedRequestCompletes() throws Exception {
        LocalClickHouse clickHouse = LocalClickHouse.shared();
        Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(LocalClickHouse.uniqueDatabase("it_shed")));
        s.put("infrasage.http-max-in-flight", "1");
        s.put("pagerduty.service-key", "S".repeat(32));
        s.put("pagerduty.events-url", "http://127.0.0.1:9/v2/enqueue"); // nothing listens: the page stays queued
        try (RunningBundle bundle = RunningBundle.start(s)) {
            String id = "shed-" + System.nanoTime();
            byte[] body = ("{\"anomaly_id\":\"" + id + "\",\"service\":\"api\",\"score\":0.9}").getBytes(StandardCharsets.UTF_8);
            try (Socket slow = new Socket(bundle.url("/").getHost(), bundle.url("/").getPort())) {
                OutputStream out = slow.getOutputStream();
                out.write(("POST /api/v1/anomalies HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Authorization: Bearer " + RunningBundle.API_TOKEN + "\r\n"
                        + "Connection: close\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body, 0, 10);
                out.flush();

                await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                    var shed = bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"other\",\"service\":\"api\",\"score\":0.9}");
                    assertThat(shed.statusCode()).isEqualTo(503);
                    assertThat(shed.headers().firstValue("Retry-After")).contains("1");
                    assertThat(shed.body()).contains("\"error\":\"overloaded\"");
                });
                assertThat(bundle.get(bundle.managementUrl("/observe/health")).statusCode()).isEqualTo(200);

                out.write(body, 10, body.length - 10);
                out.flush();
                InputStream in = slow.getInputStream();
                String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).startsWith("HTTP/1.1 202").contains(id);
            }
            var metrics = bundle.get(bundle.managementUrl("/observe/metrics")).body();
            assertThat(metrics).containsPattern("infrasage_http_shed_total(\\{[^}]*\\})? [1-9]");
            assertThat(bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"after-" + id + "\",\"service\":\"api\",\"score\":0.9}")
                    .statusCode()).isEqualTo(202);
        }
    }
}
