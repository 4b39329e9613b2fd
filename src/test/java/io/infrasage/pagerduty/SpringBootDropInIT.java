package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.example.springhost.SpringHostApplication;
import io.infrasage.pagerduty.sandbox.Incident;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.OtlpReceiver;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * DropInIT's promise for a Spring Boot host with Camel Spring Boot (docs/drop-in.md): the host (io.example.springhost,
 * its own jar with its own application.properties) adds the bundle's thin jar and names the route files; the bundle's
 * auto-configuration does the rest. It runs in a JVM of its own whose classpath is the thin jar, the bundle's runtime
 * dependencies and the host's Spring Boot starters (target/drop-in/spring-host.classpath): Spring's Tomcat serves the
 * routes, the actuator shows the bundle's health and meters.
 */
class SpringBootDropInIT {

    static final String SERVICE_KEY = "S".repeat(26) + "spring";
    static final String SECRET = "spring-host-webhook-secret";
    private static final ObjectMapper JSON = new ObjectMapper();

    final LocalClickHouse clickHouse = LocalClickHouse.shared();
    PagerDutySandbox sandbox;
    OtlpReceiver collector;
    Process host;
    Path log;

    @AfterEach
    void stop() throws InterruptedException {
        if (host != null) {
            host.destroy(); // SIGTERM: Spring closes its context and Camel stops as it would in production
            if (!host.waitFor(20, TimeUnit.SECONDS)) {
                host.destroyForcibly();
            }
        }
        if (sandbox != null) {
            sandbox.close();
        }
        if (collector != null) {
            collector.close();
        }
    }

    @Test
    void aSpringBootHostWithOnlyTheJarAndItsOwnPropertiesServesTheBundle() throws Exception {
        Path work = Files.createTempDirectory("spring-boot-host");
        List<String> classpath = new ArrayList<>(DropInHosts.bundleClasspath());
        classpath.addAll(DropInHosts.listedJars("spring.host.classpath", "target/drop-in/spring-host.classpath"));
        classpath.add(DropInHosts.hostJar(SpringHostApplication.class, "/spring-host/application.properties",
                work.resolve("example-spring-host.jar")).toString());

        int port = FreePorts.next();
        int managementPort = FreePorts.next();
        sandbox = PagerDutySandbox.builder().port(0).webhookRetryBackoff(Duration.ofMillis(200))
                .webhook("http://127.0.0.1:" + port + "/api/v1/pagerduty/webhook", List.of(SECRET)).start();
        String db = LocalClickHouse.uniqueDatabase("it_spring");
        log = LocalClickHouse.projectRoot().resolve("target/drop-in/spring-host-" + db + ".log");
        Files.createDirectories(log.getParent());

        // C1 only and the serial collector: a short-lived JVM on a shared 2-core machine starts faster with them
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", String.join(File.pathSeparator, classpath), SpringHostApplication.class.getName())
                .directory(work.toFile()) // no ./routes and no ./application.properties here
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("CAMEL_") || k.startsWith("PAGERDUTY_") || k.startsWith("INFRASAGE_")
                || k.startsWith("CLICKHOUSE_") || k.startsWith("SPRING_") || k.startsWith("SERVER_") || k.startsWith("MANAGEMENT_"));
        env.put("HOST_HTTP_PORT", Integer.toString(port));
        env.put("HOST_MANAGEMENT_PORT", Integer.toString(managementPort));
        env.put("HOST_CLICKHOUSE_URL", clickHouse.jdbcUrl(db));
        env.put("HOST_WEBHOOK_SECRET", SECRET);
        env.put("HOST_SERVICE_KEY", SERVICE_KEY);
        env.put("HOST_API_TOKEN", RunningBundle.API_TOKEN);
        env.put("HOST_EVENTS_URL", sandbox.eventsUrl());
        // a bundle setting from the environment, under the bundle's variable name, wins over the host's properties
        env.put("INFRASAGE_BATCH_MAX", "2");
        // tracing switched on as on a Camel Main host: OpenTelemetry's own variables (docs/operations.md#tracing)
        collector = OtlpReceiver.start(0);
        env.keySet().removeIf(k -> k.startsWith("OTEL_"));
        env.put("OTEL_TRACES_EXPORTER", "otlp");
        env.put("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint());
        env.put("OTEL_BSP_SCHEDULE_DELAY", "200");
        host = pb.start();

        // the actuator's health holds Camel's health checks, the bundle's among them
        JsonNode health = awaitHealthy(managementPort);
        JsonNode camelHealth = health.at("/components/camelHealth/details");
        assertThat(camelHealth.path("accepting-pages").asText()).as(health.toString()).isEqualTo("UP");
        assertThat(camelHealth.path("clickhouse").asText()).as(health.toString()).isEqualTo("UP");
        HttpResponse<String> readiness = get("http://127.0.0.1:" + managementPort + "/actuator/health/readiness");
        assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(200);
        assertThat(JSON.readTree(readiness.body()).at("/components/camelReadinessState/status").asText()).as(readiness.body()).isEqualTo("UP");

        // 1. the bundle's own HTTP API, served by Spring's web server
        String id = "spring-" + System.nanoTime();
        HttpResponse<String> answer = post(port, "/api/v1/anomalies", anomaly(id));
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(JSON.readTree(answer.body()).get("status").asText()).isIn("queued", "sent");
        await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.events().stream()
                .anyMatch(e -> ("infrasage-" + id).equals(e.dedupKey()) && e.status() == 202 && SERVICE_KEY.equals(e.routingKey())));

        // 2. the host's own route, next to the bundle's, hands an anomaly to the bundle through direct:anomaly
        String fedId = "spring-fed-" + System.nanoTime();
        HttpResponse<String> fed = post(port, "/host/anomaly-feed", anomaly(fedId));
        assertThat(fed.statusCode()).as(fed.body()).isEqualTo(202);
        assertThat(fed.headers().firstValue("X-Fed-By")).contains("example-spring-host");
        assertThat(JSON.readTree(fed.body()).get("dedup_key").asText()).isEqualTo("infrasage-" + fedId);

        // 3. JSON errors: malformed JSON is a 400 that names the problem; INFRASAGE_BATCH_MAX=2 from the environment applies
        HttpResponse<String> malformed = post(port, "/api/v1/anomalies", "{\"anomaly_id\": \"x\", \"service\": ");
        assertThat(malformed.statusCode()).as(malformed.body()).isEqualTo(400);
        assertThat(malformed.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode problem = JSON.readTree(malformed.body());
        assertThat(problem.path("error").asText()).isNotBlank();
        assertThat(problem.path("problems").toString()).containsIgnoringCase("json").doesNotContain("Exception", "\tat ");
        HttpResponse<String> tooBig = post(port, "/api/v1/anomalies",
                "[" + anomaly("b1-" + id) + "," + anomaly("b2-" + id) + "," + anomaly("b3-" + id) + "]");
        assertThat(tooBig.statusCode()).as(tooBig.body()).isEqualTo(413);
        assertThat(JSON.readTree(tooBig.body()).path("problems").toString()).contains("2");
        HttpResponse<String> unauthorized = RunningBundle.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/anomalies"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(anomaly("x"))).build());
        assertThat(unauthorized.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(unauthorized.body()).path("error").asText()).isNotBlank();

        HttpResponse<String> unknown = post(port, "/api/v1/no-such-endpoint", "{}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).path("status").asInt()).as("Spring's JSON error answer").isEqualTo(404);

        // 4. PagerDuty's signed incident.triggered webhook comes back to the host and lands in ClickHouse
        Incident incident = sandbox.incidentByKey("infrasage-" + id).orElseThrow();
        String eventId = sandbox.webhookEvents().stream().map(e -> e.get("event"))
                .filter(e -> e.path("event_type").asText().equals("incident.triggered") && e.at("/data/id").asText().equals(incident.id()))
                .map(e -> e.get("id").asText()).findFirst().orElseThrow();
        await().atMost(Duration.ofSeconds(20)).until(() -> sandbox.webhookAttempts().stream()
                .anyMatch(a -> a.eventId().equals(eventId) && a.status() == 200));
        assertThat(clickHouse.query("SELECT event_type, incident_id FROM " + db + ".webhook_deliveries WHERE event_id = '"
                + eventId + "' FORMAT TSV")).isEqualTo("incident.triggered\t" + incident.id());

        // 5. the bundle's meters are in the host's registry, scraped at the actuator's Prometheus endpoint
        HttpResponse<String> metrics = get("http://127.0.0.1:" + managementPort + "/actuator/prometheus");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("infrasage_outbox_depth", "infrasage_anomalies_total");

        // 6. the page is one trace on Spring too: the accept span and the delivery attempt's span, with their attributes
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<OtlpReceiver.ReceivedSpan> spans = collector.spans().stream()
                    .filter(sp -> id.equals(sp.attribute("infrasage.anomaly.id"))).toList();
            assertThat(spans).filteredOn(sp -> sp.attribute("infrasage.anomaly.severity") != null).hasSize(1);
            assertThat(spans).filteredOn(sp -> "202".equals(sp.attribute("pagerduty.status"))).hasSize(1);
            assertThat(spans).extracting(OtlpReceiver.ReceivedSpan::traceId).containsOnly(spans.get(0).traceId());
        });

        // the defaults applied: the outbox went to ./data of the host's working directory
        assertThat(work.resolve("data/bundle.db")).isRegularFile();
    }

    /** The actuator's health once it is UP with ClickHouse's check UP, failing at once if the host exited. */
    private JsonNode awaitHealthy(int managementPort) {
        JsonNode[] health = new JsonNode[1];
        try {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
                if (!host.isAlive()) {
                    throw new IllegalStateException("exited");
                }
                HttpResponse<String> answer = get("http://127.0.0.1:" + managementPort + "/actuator/health");
                health[0] = JSON.readTree(answer.body());
                return answer.statusCode() == 200 && "UP".equals(health[0].at("/components/camelHealth/details/clickhouse").asText());
            });
        } catch (RuntimeException e) {
            throw new AssertionError("the Spring Boot host did not become healthy" + (host.isAlive() ? "" : " (exited)")
                    + "; its last health: " + health[0] + "; its log " + log + " ends with:\n" + DropInHosts.tail(log), e);
        }
        return health[0];
    }

    private static HttpResponse<String> get(String url) {
        return RunningBundle.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build());
    }

    private static HttpResponse<String> post(int port, String path, String json) {
        return RunningBundle.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + RunningBundle.API_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    private static String anomaly(String id) {
        return "{\"anomaly_id\":\"" + id + "\",\"service\":\"checkout-api\",\"score\":0.85,\"metric\":\"latency_p99\","
                + "\"value\":2300,\"unit\":\"ms\",\"environment\":\"production\"}";
    }
}
