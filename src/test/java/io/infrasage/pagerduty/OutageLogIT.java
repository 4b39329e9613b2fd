package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.BundleProcess;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/**
 * What the bundle's log shows while its dependencies are down and clients abort requests: one line when a dependency
 * goes down and one when it is back (with a metric meanwhile), never a stack trace per attempt, and nothing an
 * aborting client can fill the log with.
 */
class OutageLogIT {

    static final String KEY = "O".repeat(28) + "outg";

    /** The value of the first series of this name whose labels contain the given text, NaN when there is none. */
    private static double metric(BundleProcess bundle, String name, String label) {
        String text = RunningBundle.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(bundle.managementUrl("/observe/metrics")))
                .GET().build()).body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} ([0-9.eE+-]+)$").matcher(text);
        while (m.find()) {
            if (m.group(1).contains(label)) {
                return Double.parseDouble(m.group(2));
            }
        }
        return Double.NaN;
    }

    @Test
    void aDependencyOutageIsLoggedOnceWhenItStartsAndOnceWhenItEndsAndAbortedRequestsLogNothing() throws Exception {
        Path log = Files.createDirectories(LocalClickHouse.projectRoot().resolve("target")).resolve("outage-log-bundle.log");
        Files.deleteIfExists(log);
        int deadClickHouse;
        try (ServerSocket free = new ServerSocket(0)) {
            deadClickHouse = free.getLocalPort(); // nothing listens here once closed: ClickHouse is down all along
        }
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().port(0).start()) {
            Map<String, String> env = new HashMap<>();
            env.put("CLICKHOUSE_URL", LocalClickHouse.shared().jdbcUrl("it_outage").replaceFirst(":\\d+/", ":" + deadClickHouse + "/"));
            env.put("PAGERDUTY_EVENTS_URL", sandbox.eventsUrl());
            env.put("PAGERDUTY_SERVICE_KEY", KEY);
            env.put("PAGERDUTY_WEBHOOK_SECRETS", "outage-secret");
            env.put("PAGERDUTY_RETRY_INITIAL_DELAY", "100ms");
            env.put("PAGERDUTY_RETRY_MAX_DELAY", "200ms");
            env.put("INFRASAGE_DATA_DIR", Files.createTempDirectory("outage").toString());
            sandbox.faults().down();
            try (BundleProcess bundle = BundleProcess.startUnready(env, log)) {
                for (int i = 0; i < 5; i++) {
                    String id = "outage-" + i + "-" + System.nanoTime();
                    assertThat(bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + id + "\",\"service\":\"api\",\"score\":0.9}")
                            .statusCode()).isEqualTo(202);
                }
                // clients that give up halfway through their upload
                for (int i = 0; i < 20; i++) {
                    try (Socket aborting = new Socket("127.0.0.1", java.net.URI.create(bundle.url("/")).getPort())) {
                        OutputStream out = aborting.getOutputStream();
                        out.write(("POST /api/v1/anomalies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer "
                                + RunningBundle.API_TOKEN + "\r\nContent-Length: 1000\r\n\r\n{\"anomaly_id\":").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                }
                // many attempts while both are down: PagerDuty's and ClickHouse's
                await().atMost(Duration.ofSeconds(20)).until(() -> metric(bundle, "infrasage_pagerduty_requests_seconds_count",
                        "status=\"no_answer\"") >= 25
                        && metric(bundle, "infrasage_dependency_up", "dependency=\"clickhouse\"") == 0.0
                        && metric(bundle, "infrasage_dependency_up", "dependency=\"pagerduty\"") == 0.0);

                sandbox.faults().up();
                await().atMost(Duration.ofSeconds(20)).until(() -> sandbox.events().stream().filter(e -> e.status() == 202).count() == 5
                        && metric(bundle, "infrasage_dependency_up", "dependency=\"pagerduty\"") == 1.0);
            }
            String text = Files.readString(log);
            assertThat(text).doesNotContain("\tat ").doesNotContain("Unhandled exception").doesNotContain(" ERROR ")
                    .doesNotContain("Connection was closed").doesNotContain("request to /api/v1/anomalies");
            assertThat(count(text, "PagerDuty is unreachable")).as(text).isEqualTo(1);
            assertThat(count(text, "PagerDuty is reachable again")).as(text).isEqualTo(1);
            assertThat(count(text, "ClickHouse is unreachable")).as(text).isEqualTo(1);
            assertThat(text.lines().filter(l -> l.contains("not delivered yet")).count()).as(text).isZero();
        }
    }

    private static int count(String text, String phrase) {
        return (int) text.lines().filter(l -> l.contains(phrase)).count();
    }
}
