package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;
import io.infrasage.pagerduty.testing.BundleProcess;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/** Accepted pages survive PagerDuty outages, kill -9 and ClickHouse outages: delivered once per dedup key, in order. */
class NeverLoseAPageIT {

    static final String KEY = "K".repeat(28) + "kill";

    @Test
    void killedTwiceDuringAPagerDutyOutageEveryAcceptedEventArrivesOncePerDedupKeyAndInOrder() throws Exception {
        LocalClickHouse clickHouse = LocalClickHouse.shared();
        Path data = Files.createTempDirectory("outbox-crash");
        Path log = Files.createDirectories(LocalClickHouse.projectRoot().resolve("target")).resolve("crash-test-bundle.log");
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().port(0).start()) {
            Map<String, String> env = crashEnv(clickHouse, "it_crash", sandbox, data);

            sandbox.faults().down();
            List<String> ids = new ArrayList<>();
            BundleProcess bundle = BundleProcess.start(env, log);
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 20; i++) {
                    String id = "crash-" + round + "-" + i + "-" + System.nanoTime();
                    var answer = bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + id + "\",\"service\":\"api\",\"score\":0.9}");
                    assertThat(answer.statusCode()).isEqualTo(202);
                    ids.add(id);
                    if (i % 2 == 0) {
                        assertThat(bundle.postJson("/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"fix\"}").statusCode()).isEqualTo(202);
                    }
                }
                if (round == 1) {
                    sandbox.faults().up(); // PagerDuty comes back while this instance is delivering, then it is killed mid-flight
                    Thread.sleep(150);
                }
                bundle.kill();
                bundle = BundleProcess.start(env, log);
            }
            sandbox.faults().up();
            try (BundleProcess last = bundle) {
                await().atMost(Duration.ofSeconds(60)).until(() -> ids.stream().allMatch(id -> delivered(sandbox, id)));
            }
            for (int n = 0; n < ids.size(); n++) {
                String key = "infrasage-" + ids.get(n);
                List<ReceivedEvent> ingested = sandbox.events().stream().filter(e -> key.equals(e.dedupKey()) && e.status() == 202).toList();
                assertThat(sandbox.incidentsByKey(key)).as(key).hasSize(1);
                List<String> actions = ingested.stream().map(ReceivedEvent::eventAction).distinct().toList();
                if (n % 20 % 2 == 0) {
                    assertThat(actions).as("order for %s", key).containsExactly("trigger", "resolve");
                    int lastTrigger = lastIndexOf(ingested, "trigger");
                    int firstResolve = ingested.stream().map(ReceivedEvent::eventAction).toList().indexOf("resolve");
                    assertThat(lastTrigger).as("no trigger after the resolve of %s", key).isLessThan(firstResolve);
                    assertThat(sandbox.incidentsByKey(key).get(0).status()).isEqualTo("resolved");
                } else {
                    assertThat(actions).containsExactly("trigger");
                }
            }
        }
    }

    @Test
    void killedRightAfterABatchWasAnsweredEveryItemIsDeliveredExactlyOnceAfterTheRestart() throws Exception {
        LocalClickHouse clickHouse = LocalClickHouse.shared();
        Path data = Files.createTempDirectory("outbox-batch-crash");
        Path log = Files.createDirectories(LocalClickHouse.projectRoot().resolve("target")).resolve("crash-batch-test-bundle.log");
        // the batch is delivered in one go after the restart: past PagerDuty's 120 events per minute and key
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().port(0).rateLimitPerMinute(100_000).start()) {
            Map<String, String> env = crashEnv(clickHouse, "it_batch_crash", sandbox, data);

            sandbox.faults().down(); // nothing can be delivered before the kill
            List<String> ids = new ArrayList<>();
            List<String> items = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                String id = "batch-crash-" + i + "-" + System.nanoTime();
                ids.add(id);
                items.add("{\"anomaly_id\":\"" + id + "\",\"service\":\"api\",\"score\":0.9}");
            }
            BundleProcess bundle = BundleProcess.start(env, log);
            var answer = bundle.postJson("/api/v1/anomalies", "[" + String.join(",", items) + "]");
            bundle.kill();
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
            assertThat(sandbox.events()).as("delivered before the kill").noneMatch(e -> e.status() == 202);

            sandbox.faults().up();
            try (BundleProcess restarted = BundleProcess.start(env, log)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> ids.stream().allMatch(id -> delivered(sandbox, id)));
                // a second delivery of any of them would show up now
                await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).until(() -> ids.stream().allMatch(id ->
                        sandbox.events().stream().filter(e -> ("infrasage-" + id).equals(e.dedupKey()) && e.status() == 202).count() == 1));
            }
            for (String id : ids) {
                String key = "infrasage-" + id;
                assertThat(sandbox.events().stream().filter(e -> key.equals(e.dedupKey()) && e.status() == 202)).as(key).hasSize(1);
                assertThat(sandbox.incidentsByKey(key)).as(key).hasSize(1);
            }
        }
    }

    private static boolean delivered(PagerDutySandbox sandbox, String id) {
        return sandbox.incidentByKey("infrasage-" + id).isPresent();
    }

    private static int lastIndexOf(List<ReceivedEvent> events, String action) {
        int last = -1;
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).eventAction().equals(action)) {
                last = i;
            }
        }
        return last;
    }

    @Test
    void withClickHouseStoppedPagesStillGoOutAndTheStateRowsAppearOnceItIsBack() {
        LocalClickHouse own = LocalClickHouse.privateServer(18153, 19030);
        own.start();
        String db = LocalClickHouse.uniqueDatabase("it_chdown");
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().port(0).start()) {
            Map<String, String> s = RunningBundle.baseSettings(own.jdbcUrl(db));
            s.put("pagerduty.events-url", sandbox.eventsUrl());
            s.put("pagerduty.service-key", KEY);
            try (RunningBundle bundle = RunningBundle.start(s)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> bundle.get(bundle.managementUrl("/observe/health")).statusCode() == 200);
                own.stop();
                String id = "ch-down-" + System.nanoTime();
                var answer = bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + id + "\",\"service\":\"api\",\"score\":0.95}");
                assertThat(answer.statusCode()).isEqualTo(202);
                await().atMost(Duration.ofSeconds(10)).until(() -> sandbox.incidentByKey("infrasage-" + id).isPresent());

                own.start();
                // the page's state as readers take it (each column's latest non-empty value): sent, with the details
                // of its accept; its queued and sent rows, spooled together while ClickHouse was down, may be one row
                await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> assertThat(own.query("SELECT argMaxIf(status, version,"
                        + " status != ''), argMaxIf(service, version, service != ''), argMaxIf(severity, version, severity != '') FROM "
                        + db + ".anomaly_state WHERE anomaly_id = '" + id + "' FORMAT TSV")).isEqualTo("sent\tapi\tcritical"));
            }
        } finally {
            own.stop();
        }
    }

    /** A child bundle on its own database and data folder, retrying fast, with PagerDuty's rate limit out of the way. */
    private static Map<String, String> crashEnv(LocalClickHouse clickHouse, String database, PagerDutySandbox sandbox, Path data) {
        Map<String, String> env = new HashMap<>();
        env.put("CLICKHOUSE_URL", clickHouse.jdbcUrl(LocalClickHouse.uniqueDatabase(database)));
        env.put("PAGERDUTY_EVENTS_URL", sandbox.eventsUrl());
        env.put("PAGERDUTY_SERVICE_KEY", KEY);
        env.put("PAGERDUTY_WEBHOOK_INSECURE", "true");
        env.put("INFRASAGE_DATA_DIR", data.toString());
        env.put("PAGERDUTY_RETRY_INITIAL_DELAY", "100ms");
        env.put("PAGERDUTY_RETRY_MAX_DELAY", "500ms");
        env.put("PAGERDUTY_RATE_LIMIT_PER_MINUTE", "100000");
        env.put("PAGERDUTY_RATE_LIMIT_BURST", "1000");
        return env;
    }
}
