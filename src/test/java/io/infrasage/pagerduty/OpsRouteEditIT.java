package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator's edits of the route files do: a step added to the decision steps of routes/anomaly-inbound.camel.yaml
 * acts on a single post and on every item of a batch alike, since both take the same route; a step added after the
 * outcome of routes/pagerduty-delivery.camel.yaml acts on each delivered page.
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

    /** The operator's delivery step: every delivered page is told to a chat, without holding the delivery up. */
    private static final String CHAT_STEP = """
                    - filter:
                        expression:
                          simple: "${header.CamelOutboxOutcome} == 'delivered'"
                        steps:
                          - setBody:
                              simple: "paged ${header.CamelOutboxDedupKey} (${header.CamelOutboxAction}, attempt ${header.CamelOutboxAttempt})"
                          - wireTap:
                              uri: "CHAT_URL"
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
        return editedRoutes(dir, "anomaly-inbound.camel.yaml", "                      method: severityOf\n", CANARY_STEP);
    }

    /** The project's route files, with a step added after the anchor line of one of them. */
    private static Path editedRoutes(Path dir, String file, String anchor, String step) throws Exception {
        Path routes = LocalClickHouse.projectRoot().resolve("routes");
        try (var files = Files.list(routes)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Path edited = dir.resolve(file);
        String yaml = Files.readString(edited);
        assertThat(yaml).as("the step the operator's step follows").contains(anchor);
        Files.writeString(edited, yaml.replace(anchor, anchor + step));
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

    @Test
    void aStepAddedAfterTheDeliveryOutcomeActsOnEachDeliveredPage(@TempDir Path dir) throws Exception {
        String run = Long.toString(System.nanoTime());
        List<String> chat = new CopyOnWriteArrayList<>();
        HttpServer chatServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        chatServer.createContext("/chat", exchange -> {
            chat.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        chatServer.start();
        String chatUrl = "http://127.0.0.1:" + chatServer.getAddress().getPort() + "/chat?httpMethod=POST";
        Path routes = editedRoutes(dir, "pagerduty-delivery.camel.yaml", "            method: record\n", CHAT_STEP.replace("CHAT_URL", chatUrl));
        try (RunningBundle bundle = bundle(routes)) {
            assertThat(bundle.postJson("/api/v1/anomalies", anomaly("chat-" + run, "checkout-api")).statusCode()).isEqualTo(202);

            await().atMost(Duration.ofSeconds(20)).until(() -> chat.contains("paged infrasage-chat-" + run + " (trigger, attempt 1)"));
            assertThat(sandbox.incidentByKey("infrasage-chat-" + run)).as("the page still reached PagerDuty").isPresent();
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> chat.size() == 1);
        } finally {
            chatServer.stop(0);
        }
    }
}
