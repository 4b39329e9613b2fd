package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.example.host.HostApplication;
import io.infrasage.pagerduty.sandbox.Incident;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The drop-in promise: the routes run unchanged inside another Camel application that only depends on the
 * bundle's jar and loads the routes from the classpath with its own properties. The host (io.example.host, its own
 * jar with its own application.properties) runs in a JVM of its own whose classpath is the bundle's thin jar, the
 * bundle's runtime dependencies and the host jar: no target/classes, no ./routes, no copy of the bundle's settings.
 * Runs after `package` (maven-failsafe-plugin), which builds the thin jar and writes target/drop-in/runtime.classpath.
 */
class DropInIT {

    static final String SERVICE_KEY = "H".repeat(28) + "host";
    static final String SECRET = "host-webhook-secret";
    private static final ObjectMapper JSON = new ObjectMapper();

    final LocalClickHouse clickHouse = LocalClickHouse.shared();
    PagerDutySandbox sandbox;
    Process host;
    Path log;

    @AfterEach
    void stop() throws InterruptedException {
        if (host != null) {
            host.destroy(); // SIGTERM: the host shuts Camel down as it would in production
            if (!host.waitFor(20, TimeUnit.SECONDS)) {
                host.destroyForcibly();
            }
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void aHostCamelApplicationWithOnlyTheJarAndItsOwnPropertiesPagesPagerDutyAndPersistsSignedWebhooks() throws Exception {
        Path work = Files.createTempDirectory("drop-in-host");
        List<String> classpath = new ArrayList<>(DropInHosts.bundleClasspath());
        classpath.add(DropInHosts.hostJar(HostApplication.class, "/host/application.properties", work.resolve("example-host.jar")).toString());

        int port = FreePorts.next();
        int managementPort = FreePorts.next();
        sandbox = PagerDutySandbox.builder().port(0).webhookRetryBackoff(Duration.ofMillis(200))
                .webhook("http://127.0.0.1:" + port + "/api/v1/pagerduty/webhook", List.of(SECRET)).start();
        String db = LocalClickHouse.uniqueDatabase("it_dropin");
        log = LocalClickHouse.projectRoot().resolve("target/drop-in/host-" + db + ".log");
        Files.createDirectories(log.getParent());

        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", String.join(File.pathSeparator, classpath), HostApplication.class.getName())
                .directory(work.toFile()) // no ./routes and no ./application.properties here
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("CAMEL_") || k.startsWith("PAGERDUTY_") || k.startsWith("INFRASAGE_")
                || k.startsWith("CLICKHOUSE_"));
        env.put("HOST_HTTP_PORT", Integer.toString(port));
        env.put("HOST_MANAGEMENT_PORT", Integer.toString(managementPort));
        env.put("HOST_CLICKHOUSE_URL", clickHouse.jdbcUrl(db));
        env.put("HOST_WEBHOOK_SECRET", SECRET);
        env.put("HOST_SERVICE_KEY", SERVICE_KEY);
        env.put("HOST_API_TOKEN", RunningBundle.API_TOKEN);
        env.put("HOST_EVENTS_URL", sandbox.eventsUrl());
        host = pb.start();
        awaitHealthy(managementPort);

        // 1. the bundle's own HTTP API, served by the host's server
        String id = "dropin-" + System.nanoTime();
        HttpResponse<String> answer = post(port, "/api/v1/anomalies", anomaly(id));
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        assertThat(JSON.readTree(answer.body()).get("status").asText()).isIn("queued", "sent");
        ReceivedEvent trigger = awaitAccepted("infrasage-" + id);
        assertThat(trigger.routingKey()).isEqualTo(SERVICE_KEY);
        assertThat(trigger.eventAction()).isEqualTo("trigger");

        // 2. the host's own route, next to the bundle's, hands an anomaly to the bundle through direct:anomaly
        String fedId = "dropin-fed-" + System.nanoTime();
        HttpResponse<String> fed = post(port, "/host/anomaly-feed", anomaly(fedId));
        assertThat(fed.statusCode()).as(fed.body()).isEqualTo(202);
        assertThat(fed.headers().firstValue("X-Fed-By")).contains("example-host");
        assertThat(JSON.readTree(fed.body()).get("dedup_key").asText()).isEqualTo("infrasage-" + fedId);
        assertThat(awaitAccepted("infrasage-" + fedId).routingKey()).isEqualTo(SERVICE_KEY);

        // 3. PagerDuty's signed incident.triggered webhook comes back to the host and lands in ClickHouse
        Incident incident = sandbox.incidentByKey("infrasage-" + id).orElseThrow();
        String eventId = sandbox.webhookEvents().stream().map(e -> e.get("event"))
                .filter(e -> e.path("event_type").asText().equals("incident.triggered") && e.at("/data/id").asText().equals(incident.id()))
                .map(e -> e.get("id").asText()).findFirst().orElseThrow();
        await().atMost(Duration.ofSeconds(20)).until(() -> sandbox.webhookAttempts().stream()
                .anyMatch(a -> a.eventId().equals(eventId) && a.status() == 200));
        assertThat(clickHouse.query("SELECT event_type, incident_id FROM " + db + ".webhook_deliveries WHERE event_id = '"
                + eventId + "' FORMAT TSV")).isEqualTo("incident.triggered\t" + incident.id());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(clickHouse.query("SELECT argMaxIf(incident_id, version, "
                + "incident_id != '') FROM " + db + ".anomaly_state WHERE anomaly_id = '" + id + "'")).isEqualTo(incident.id()));

        // the defaults applied: the outbox went to ./data of the host's working directory
        assertThat(work.resolve("data/bundle.db")).isRegularFile();
    }

    private void awaitHealthy(int managementPort) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            if (RunningBundle.healthy(managementPort)) {
                return;
            }
            if (!host.isAlive() || System.currentTimeMillis() > deadline) {
                throw new AssertionError("the host application did not start" + (host.isAlive() ? " within 60 s" : " (exited)")
                        + "; its log " + log + " ends with:\n" + DropInHosts.tail(log));
            }
            Thread.sleep(200);
        }
    }

    private ReceivedEvent awaitAccepted(String dedupKey) {
        await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.events().stream()
                .anyMatch(e -> dedupKey.equals(e.dedupKey()) && e.status() == 202));
        return sandbox.events().stream().filter(e -> dedupKey.equals(e.dedupKey()) && e.status() == 202).findFirst().orElseThrow();
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
