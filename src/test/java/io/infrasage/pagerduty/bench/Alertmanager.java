package io.infrasage.pagerduty.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.infrasage.pagerduty.testing.FreePorts;

/**
 * Prometheus Alertmanager (Debian's prometheus-alertmanager) side by side with the bundle: one PagerDuty receiver per
 * service with that service's routing key and {@code url} pointing at the same sandbox, grouping off
 * ({@code group_by: ['...']}, {@code group_wait: 0s}), loopback only, clustering disabled. The alert's anomaly_id becomes
 * the event summary ({@code description}), so the sandbox's receive time can be matched to the submit time.
 */
public final class Alertmanager implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

    private final Process process;
    private final int port;
    private final String version;

    private Alertmanager(Process process, int port, String version) {
        this.process = process;
        this.port = port;
        this.version = version;
    }

    /** The binary: prometheus-alertmanager (Debian) or alertmanager (upstream tarball), first found on PATH. */
    public static String binary() {
        for (String name : List.of("prometheus-alertmanager", "alertmanager")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        throw new IllegalStateException("no prometheus-alertmanager or alertmanager on PATH (apt-get install prometheus-alertmanager)");
    }

    public static String config(String eventsUrl, List<String> services, List<String> routingKeys) {
        StringBuilder y = new StringBuilder();
        y.append("route:\n")
                .append("  receiver: ").append(receiver(0)).append('\n')
                .append("  group_by: ['...']\n")
                .append("  group_wait: 0s\n")
                .append("  group_interval: 1s\n")
                .append("  repeat_interval: 4h\n")
                .append("  routes:\n");
        for (int i = 0; i < services.size(); i++) {
            y.append("  - receiver: ").append(receiver(i)).append('\n')
                    .append("    matchers: ['service=\"").append(services.get(i)).append("\"']\n");
        }
        y.append("receivers:\n");
        for (int i = 0; i < services.size(); i++) {
            y.append("- name: ").append(receiver(i)).append('\n')
                    .append("  pagerduty_configs:\n")
                    .append("  - routing_key: '").append(routingKeys.get(i)).append("'\n")
                    .append("    url: '").append(eventsUrl).append("'\n")
                    .append("    send_resolved: false\n")
                    .append("    severity: critical\n")
                    .append("    description: '{{ .CommonLabels.anomaly_id }}'\n");
        }
        return y.toString();
    }

    private static String receiver(int i) {
        return Stats.f("pd-%02d", i);
    }

    public static Alertmanager start(Path dir, String config, Path log) {
        try {
            Files.createDirectories(dir.resolve("data"));
            Path configFile = dir.resolve("alertmanager.yml");
            Files.writeString(configFile, config, StandardCharsets.UTF_8);
            String bin = binary();
            String version = versionOf(bin);
            int port = FreePorts.next();
            ProcessBuilder pb = new ProcessBuilder(bin,
                    "--config.file=" + configFile,
                    "--storage.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port,
                    "--cluster.listen-address=",
                    "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Alertmanager am = new Alertmanager(pb.start(), port, version);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!am.ready()) {
                if (!am.process.isAlive() || System.nanoTime() > deadline) {
                    am.close();
                    throw new IllegalStateException("Alertmanager did not become ready; see " + log);
                }
                Thread.sleep(20);
            }
            return am;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start Alertmanager: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String versionOf(String bin) {
        try {
            Process p = new ProcessBuilder(bin, "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return out.lines().findFirst().orElse("unknown").trim();
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private boolean ready() {
        try {
            return HTTP.send(HttpRequest.newBuilder(url("/-/ready")).GET().build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public String version() {
        return version;
    }

    public long pid() {
        return process.pid();
    }

    /**
     * One alert object, as Prometheus' notifier posts it to /api/v2/alerts inside a JSON array (of up to 64 alerts per
     * POST, its batch size; {@link Workload#jsonArray} makes the array).
     */
    public static byte[] alert(String anomalyId, String service) {
        return ("{\"labels\":{\"alertname\":\"InfraSageAnomaly\",\"anomaly_id\":\"" + anomalyId + "\",\"service\":\"" + service
                + "\",\"severity\":\"critical\"},\"annotations\":{\"summary\":\"CPU saturation on " + service
                + "\",\"root_cause\":\"CPU saturation from DB connection pool exhaustion\"},"
                + "\"generatorURL\":\"https://infrasage.mycompany.com/incidents/" + anomalyId + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
