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
    /** The broker of the Kafka modes (scripts/benchmark.sh starts one and sets it); null for the embedded modes. */
    public final String kafkaBootstrapServers;
    /** The broker's process, for its CPU time; -1 when unknown (a broker the script did not start). */
    public final long kafkaPid;
    /** The ClickHouse server's process, for its CPU time; -1 when unknown. */
    public final long clickHousePid;

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
        kafkaBootstrapServers = env("BENCH_KAFKA_BOOTSTRAP_SERVERS", null);
        kafkaPid = Long.parseLong(env("BENCH_KAFKA_PID", "-1"));
        clickHousePid = Long.parseLong(env("BENCH_CLICKHOUSE_PID", "-1"));
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

    /**
     * The Kafka mode on top of {@link #bundleEnv}: every instance on the run's broker, with topics of the run's own
     * (prefix bench-&lt;run id&gt;.), one replica (one broker), {@code BENCH_KAFKA_PARTITIONS} partitions (default: the
     * bundle's 12).
     */
    public Map<String, String> withKafka(Map<String, String> env) {
        if (kafkaBootstrapServers == null) {
            throw new IllegalStateException("BENCH_KAFKA_BOOTSTRAP_SERVERS must be set (scripts/benchmark.sh kafka starts a broker)");
        }
        env.put("INFRASAGE_QUEUE", "kafka");
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafkaBootstrapServers);
        env.put("KAFKA_TOPIC_PREFIX", "bench-" + runId + ".");
        env.put("KAFKA_REPLICATION_FACTOR", "1");
        env.put("KAFKA_PARTITIONS", Integer.toString(envInt("BENCH_KAFKA_PARTITIONS", 12)));
        return env;
    }

    /** CPU seconds the broker used so far; NaN when its process is unknown. */
    public double kafkaCpuSeconds() {
        return kafkaPid < 0 ? Double.NaN : BundleJar.cpuSeconds(kafkaPid);
    }

    /** CPU seconds the ClickHouse server used so far; NaN when its process is unknown. */
    public double clickHouseCpuSeconds() {
        return clickHousePid < 0 ? Double.NaN : BundleJar.cpuSeconds(clickHousePid);
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
