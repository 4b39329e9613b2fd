package io.infrasage.pagerduty.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.infrasage.pagerduty.Application;
import io.infrasage.pagerduty.BundleConfiguration;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

/**
 * The bundle as operators run it (Camel Main, the route files from ./routes, application.properties), started in this
 * JVM on free ports with test settings layered over application.properties.
 */
public final class RunningBundle implements AutoCloseable {

    public static final String SECRET = "test-webhook-secret";
    /** INFRASAGE_API_TOKEN of the test bundles (required by default); postJson and get send it to the bundle's port. */
    public static final String API_TOKEN = "test-api-token";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final Main main;
    private final int port;
    private final int managementPort;
    private final Path dataDir;
    private final String apiToken;

    private RunningBundle(Main main, int port, int managementPort, Path dataDir, String apiToken) {
        this.main = main;
        this.port = port;
        this.managementPort = managementPort;
        this.dataDir = dataDir;
        this.apiToken = apiToken;
    }

    /** Settings every test needs, to be completed (events URL, rules...) and overridden by the caller. */
    public static Map<String, String> baseSettings(String clickHouseUrl) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("clickhouse.url", clickHouseUrl);
        s.put("pagerduty.webhook-secrets", SECRET);
        s.put("anomaly.api-token", API_TOKEN);
        s.put("pagerduty.retry-initial-delay", "100ms");
        s.put("pagerduty.retry-max-delay", "1s");
        s.put("pagerduty.retry-throttled-delay", "300ms");
        return s;
    }

    /** {@link #baseSettings(String)}, with PagerDuty's Events and REST APIs (and its token) those of this sandbox. */
    public static Map<String, String> baseSettings(String clickHouseUrl, PagerDutySandbox sandbox) {
        Map<String, String> s = baseSettings(clickHouseUrl);
        s.put("pagerduty.events-url", sandbox.eventsUrl());
        s.put("pagerduty.api-url", sandbox.rootUrl());
        s.put("pagerduty.api-token", sandbox.apiToken());
        return s;
    }

    public static RunningBundle start(Map<String, String> settings) {
        return start(settings, LocalClickHouse.projectRoot().resolve("routes"));
    }

    /** With the route files of this folder instead of the project's: an operator's edited copy. */
    public static RunningBundle start(Map<String, String> settings, Path routes) {
        try {
            int port = settings.containsKey("camel.server.port") ? Integer.parseInt(settings.get("camel.server.port")) : FreePorts.next();
            int managementPort = FreePorts.next();
            Path dataDir = settings.containsKey("infrasage.data-dir") ? Path.of(settings.get("infrasage.data-dir"))
                    : Files.createTempDirectory("bundle-data");
            Main main = new Main();
            main.configure().addConfiguration(BundleConfiguration.class);
            main.setPropertyPlaceholderLocations(Application.DEFAULTS);
            main.configure().withRoutesIncludePattern("file:" + routes + "/*.camel.yaml");
            main.addOverrideProperty("camel.server.port", Integer.toString(port));
            main.addOverrideProperty("camel.server.host", "127.0.0.1");
            main.addOverrideProperty("camel.management.port", Integer.toString(managementPort));
            main.addOverrideProperty("camel.management.host", "127.0.0.1");
            main.addOverrideProperty("infrasage.data-dir", dataDir.toString());
            // no load balancer to wait for: a test's bundle stops at once (tests of the stop set their own delay)
            main.addOverrideProperty("infrasage.shutdown-delay", "0s");
            settings.forEach(main::addOverrideProperty);
            main.start();
            RunningBundle bundle = new RunningBundle(main, port, managementPort, dataDir, settings.get("anomaly.api-token"));
            // ready: routes started and the ClickHouse schema applied (in the background; ON CLUSTER DDL on 18.16 waits
            // for every replica's DDL queue, which a loaded machine can hold up well past 30 s)
            long deadline = System.currentTimeMillis() + 90_000;
            while (!bundle.isStarted() || !bundle.isReady()) {
                if (System.currentTimeMillis() > deadline) {
                    String health = bundle.healthBody();
                    bundle.close();
                    throw new IllegalStateException("bundle not ready within 90 s; /observe/health said: " + health);
                }
                Thread.sleep(20);
            }
            return bundle;
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("bundle failed to start: " + e.getMessage(), e);
        }
    }

    private boolean isStarted() {
        CamelContext c = main.getCamelContext();
        return c != null && c.isStarted();
    }

    /** The full /observe/health body, for a failure message; what went wrong when there is none. */
    private String healthBody() {
        try {
            return fullHealth(managementPort).body();
        } catch (IOException e) {
            return "no answer (" + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private boolean isReady() {
        return healthy(managementPort);
    }

    /**
     * Whether a bundle on 127.0.0.1 at this management port is ready and its ClickHouse schema applied: readiness 200 and
     * the clickhouse check UP on /observe/health; false while nothing listens there yet. Every harness that starts a bundle
     * waits on this.
     */
    public static boolean healthy(int managementPort) {
        try {
            if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/observe/health/ready"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                return false;
            }
            HttpResponse<String> health = fullHealth(managementPort);
            return health.statusCode() == 200 && "UP".equals(checkStatus(health.body(), "clickhouse"));
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** /observe/health with every check's details. */
    private static HttpResponse<String> fullHealth(int managementPort) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/observe/health?exposureLevel=full"))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The status of one check in a /observe/health body, or null when the body does not list it. */
    public static String checkStatus(String healthBody, String check) {
        try {
            for (var c : JSON.readTree(healthBody).path("checks")) {
                if (check.equals(c.path("name").asText())) {
                    return c.path("status").asText();
                }
            }
            return null;
        } catch (IOException e) {
            throw new AssertionError("/observe/health answered something other than JSON: " + healthBody, e);
        }
    }

    public CamelContext camel() {
        return main.getCamelContext();
    }

    public <T> T bean(String name, Class<T> type) {
        return camel().getRegistry().lookupByNameAndType(name, type);
    }

    public Path dataDir() {
        return dataDir;
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public URI managementUrl(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    public HttpResponse<String> postJson(String path, String json) {
        return send(authorized(HttpRequest.newBuilder(url(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))).build());
    }

    public HttpResponse<String> get(URI uri) {
        return send(authorized(HttpRequest.newBuilder(uri).GET()).build());
    }

    /** Adds the API token to a request for this bundle's API port (not to management, the sandbox or other hosts). */
    public HttpRequest.Builder authorized(HttpRequest.Builder request) {
        URI uri = request.copy().build().uri();
        if (apiToken != null && uri.getPort() == port && "127.0.0.1".equals(uri.getHost())) {
            request.header("Authorization", "Bearer " + apiToken);
        }
        return request;
    }

    public static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(request.uri() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            main.stop();
        } catch (Exception e) {
            // stopping at the end of a test
        }
    }

}
