package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator's edit of routes/anomaly-inbound.camel.yaml does: a step added to the decision steps acts on a
 * single post and on every item of a batch alike, since both take the same route.
 */
class OpsRouteEditIT {

    private static final String KEY = "E".repeat(28) + "edit";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The operator's step: canary services are never paged (their severity is taken away, so they are suppressed). */
    private static final String CANARY_STEP = """
                          - filter:
                              expression:
                                simple: "${body.service()} starts with 'canary-'"
                              steps:
                                - removeHeader:
                                    name: severity
            """;

    static PagerDutySandbox sandbox;

    @BeforeAll
    static void startSandbox() {
        sandbox = PagerDutySandbox.builder().port(0).start();
    }

    @AfterAll
    static void stopSandbox() {
        sandbox.close();
    }

    /** The project's route files, with the operator's step added right after the severity is chosen. */
    private static Path editedRoutes(Path dir) throws Exception {
        Path routes = LocalClickHouse.projectRoot().resolve("routes");
        try (var files = Files.list(routes)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Path inbound = dir.resolve("anomaly-inbound.camel.yaml");
        String yaml = Files.readString(inbound);
        String anchor = "                      method: severityOf\n";
        assertThat(yaml).as("the severity step the operator's step follows").contains(anchor);
        Files.writeString(inbound, yaml.replace(anchor, anchor + CANARY_STEP));
        return dir;
    }

    private static RunningBundle bundle(Path routes) {
        Map<String, String> s = RunningBundle.baseSettings(LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase("it_ops_edit")));
        s.put("pagerduty.events-url", sandbox.eventsUrl());
        s.put("pagerduty.service-key", KEY);
        return RunningBundle.start(s, routes);
    }

    private static String anomaly(String id, String service) {
        return "{\"anomaly_id\":\"" + id + "\",\"service\":\"" + service + "\",\"score\":0.95}";
    }

    @Test
    void aStepAddedToTheDecisionStepsActsOnSinglePostsAndOnEveryBatchItem(@TempDir Path dir) throws Exception {
        String run = Long.toString(System.nanoTime());
        try (RunningBundle bundle = bundle(editedRoutes(dir))) {
            JsonNode single = JSON.readTree(bundle.postJson("/api/v1/anomalies", anomaly("single-" + run, "canary-api")).body());
            assertThat(single.path("status").asText()).isEqualTo("suppressed");

            var batch = bundle.postJson("/api/v1/anomalies", "[" + anomaly("batch-canary-" + run, "canary-web") + ","
                    + anomaly("batch-real-" + run, "checkout-api") + "]");
            assertThat(batch.statusCode()).isEqualTo(202);
            JsonNode items = JSON.readTree(batch.body()).path("items");
            assertThat(items.get(0).path("status").asText()).isEqualTo("suppressed");
            assertThat(items.get(1).path("status").asText()).isIn("queued", "sent");

            await().atMost(Duration.ofSeconds(20)).until(() -> sandbox.incidentByKey("infrasage-batch-real-" + run).isPresent());
            assertThat(sandbox.incidentByKey("infrasage-single-" + run)).isEmpty();
            assertThat(sandbox.incidentByKey("infrasage-batch-canary-" + run)).isEmpty();
        }
    }

    @Test
    void withoutTheStepTheSameCanaryAnomaliesArePaged() throws Exception {
        String run = Long.toString(System.nanoTime());
        try (RunningBundle bundle = bundle(LocalClickHouse.projectRoot().resolve("routes"))) {
            assertThat(JSON.readTree(bundle.postJson("/api/v1/anomalies", anomaly("single-" + run, "canary-api")).body())
                    .path("status").asText()).isIn("queued", "sent");
            JsonNode items = JSON.readTree(bundle.postJson("/api/v1/anomalies", "[" + anomaly("batch-canary-" + run, "canary-web")
                    + "]").body()).path("items");
            assertThat(items.get(0).path("status").asText()).isIn("queued", "sent");
        }
    }
}
