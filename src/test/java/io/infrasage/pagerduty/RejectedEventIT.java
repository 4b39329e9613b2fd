package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/**
 * PagerDuty's 400 "invalid event" is final: not retried, and never silent (state failed with PagerDuty's message, an
 * audit entry, a metric). The strict sandbox never refuses the bundle's events, so a stand-in that answers 400 does.
 */
class RejectedEventIT {

    @Test
    void anEventPagerDutyRefusesIsNotRetriedAndIsRecordedAsFailedWithPagerDutysMessage() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        HttpServer refusing = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        refusing.createContext("/v2/enqueue", exchange -> {
            requests.incrementAndGet();
            byte[] body = ("{\"status\":\"invalid event\",\"message\":\"Event object is invalid\","
                    + "\"errors\":[\"'payload.summary' is missing or blank\"]}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(400, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        refusing.start();
        LocalClickHouse clickHouse = LocalClickHouse.shared();
        String db = LocalClickHouse.uniqueDatabase("it_reject");
        Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(db));
        s.put("pagerduty.events-url", "http://127.0.0.1:" + refusing.getAddress().getPort() + "/v2/enqueue");
        s.put("pagerduty.service-key", "R".repeat(32));
        s.put("anomaly.delivery-wait", "5s");
        try (RunningBundle bundle = RunningBundle.start(s)) {
            String id = "refused-" + System.nanoTime();
            var answer = bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + id + "\",\"service\":\"api\",\"score\":0.9}");
            assertThat(answer.statusCode()).isEqualTo(202);
            assertThat(answer.body()).contains("\"status\":\"failed\"");
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(clickHouse.query(
                    "SELECT argMaxIf(status, version, status != ''), argMaxIf(detail, version, detail != '') FROM " + db
                            + ".anomaly_state WHERE anomaly_id = '" + id + "' FORMAT TSV"))
                    .isEqualTo("failed\tPagerDuty refused the event (400): Event object is invalid: \\'payload.summary\\' is missing or blank"));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(clickHouse.query("SELECT action, actor_kind FROM "
                    + db + ".audit_log WHERE anomaly_id = '" + id + "' AND action = 'trigger_rejected' FORMAT TSV"))
                    .isEqualTo("trigger_rejected\tpagerduty"));
            // retries would come after 100 ms here: none may
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(requests.get()).isEqualTo(1));
            assertThat(bundle.get(bundle.managementUrl("/observe/metrics")).body())
                    .containsPattern("infrasage_pagerduty_rejected_total\\{[^}]*\\} 1\\.0");
        } finally {
            refusing.stop(0);
        }
    }
}
