package io.infrasage.pagerduty.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.infrasage.pagerduty.testing.LocalClickHouse;

/** The driver's settings (environment, set by scripts/benchmark.sh) and what every run shares. */
public final class BenchSettings {

    public static final String WEBHOOK_SECRET = "bench-webhook-secret";

    /** INFRASAGE_API_TOKEN of the benchmark's bundles, which every anomaly post sends (the API needs one by default). */

    public static final String API_TOKEN = "bench-api-token";
    public static final int SERVICES = 20;

    public final Path projectRoot;
    public final Path jar;
    public final List<String> bundleJavaOptions;
    public final String clickHouseUrl;
    public final int clickHouseHttpPort;
    public final Path out;
    public final String runId;

    public BenchSettings() {
        projectRoot = Path.of(env("BENCH_PROJECT_ROOT", ".")).toAbsolutePath().normalize();
        jar = projectRoot.resolve(env("BENCH_JAR", "target/infrasage-pagerduty-1.0.0-SNAPSHOT-app.jar"));
        bundleJavaOptions = Arrays.stream(env("BENCH_BUNDLE_JAVA_OPTS", "").trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
        clickHouseUrl = env("CLICKHOUSE_URL", null);
        if (clickHouseUrl == null || !clickHouseUrl.contains("/infrasage")) {
            throw new IllegalStateException("CLICKHOUSE_URL must be set (scripts/clickhouse.sh url), with database infrasage");
        }
        clickHouseHttpPort = Integer.parseInt(env("CLICKHOUSE_HTTP_PORT", "18123"));
        out = projectRoot.resolve(env("BENCH_OUT", "target/benchmark"));
        runId = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build with mvn package first");
        }
    }

    public static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    public static int envInt(String name, int fallback) {
        return Integer.parseInt(env(name, Integer.toString(fallback)));
    }

    /** The JDBC URL of a database of the run's own (the bundle creates it). */
    public String jdbcUrl(String database) {
        return clickHouseUrl.replaceFirst("/infrasage(\\?|$)", "/" + database + "$1");
    }

    /** The environment every bundle gets: ClickHouse, the sandbox, 20 services with a routing key each, a webhook secret. */
    public Map<String, String> bundleEnv(String database, Path dataDir, String eventsUrl, String apiUrl) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CLICKHOUSE_URL", jdbcUrl(database));
        env.put("INFRASAGE_DATA_DIR", dataDir.toString());
        env.put("PAGERDUTY_EVENTS_URL", eventsUrl);
        env.put("PAGERDUTY_API_URL", apiUrl);
        env.put("PAGERDUTY_ROUTING_RULES", Workload.routingRules(SERVICES));
        env.put("PAGERDUTY_SERVICE_KEY", Workload.routingKeys(SERVICES).get(0)); // the required fallback; never used here
        env.put("PAGERDUTY_WEBHOOK_SECRETS", WEBHOOK_SECRET);
        env.put("INFRASAGE_API_TOKEN", API_TOKEN);
        return env;
    }

    /** A ClickHouse query over its HTTP interface (TSV answer, trimmed). */
    public String clickHouse(String sql) {
        return LocalClickHouse.query(clickHouseHttpPort, sql, Duration.ofSeconds(30));
    }

    public String clickHouseVersion() {
        try {
            return clickHouse("SELECT version()");
        } catch (RuntimeException e) {
            return "unknown";
        }
    }
}
