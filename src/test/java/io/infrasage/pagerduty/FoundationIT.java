package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;

import io.infrasage.pagerduty.config.InvalidConfigurationException;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/** The bundle starts against a real ClickHouse, creates its schema idempotently and reports readiness honestly. */
class FoundationIT {

    private final LocalClickHouse clickHouse = LocalClickHouse.shared();

    private Map<String, String> settings(String db) {
        Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(db));
        s.put("pagerduty.service-key", "a".repeat(32));
        return s;
    }

    private String schemaOf(String db) {
        return clickHouse.query("SELECT table, name, type FROM system.columns WHERE database = '" + db
                + "' ORDER BY table, name FORMAT TSV")
                + clickHouse.query("SELECT name, engine FROM system.tables WHERE database = '" + db + "' ORDER BY name FORMAT TSV");
    }

    @Test
    void startingTwiceAgainstTheSameClickHouseLeavesTheTablesAsTheyWere() {
        String db = LocalClickHouse.uniqueDatabase("it_found");
        String first;
        try (RunningBundle bundle = RunningBundle.start(settings(db))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> bundle.get(bundle.managementUrl("/observe/health")).statusCode() == 200);
            first = schemaOf(db);
            assertThat(first).contains("anomaly_state", "audit_log", "incident_memory", "incident_notes", "webhook_deliveries",
                    "page_memory", "ReplacingMergeTree");
        }
        try (RunningBundle again = RunningBundle.start(settings(db))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> again.get(again.managementUrl("/observe/health")).statusCode() == 200);
            assertThat(schemaOf(db)).isEqualTo(first);
            // one row per migration file (V001, V002), not one per start
            assertThat(clickHouse.count("SELECT count() FROM " + db + ".schema_migrations FINAL")).isEqualTo(2);
        }
    }

    @Test
    void readyWithinTenSecondsAndStillReadyWithClickHouseShownDegradedWhenItStops() {
        LocalClickHouse own = LocalClickHouse.privateServer(18133, 19010);
        own.start();
        String db = LocalClickHouse.uniqueDatabase("it_ready");
        Map<String, String> s = RunningBundle.baseSettings(own.jdbcUrl(db));
        s.put("pagerduty.service-key", "a".repeat(32));
        long startedAt = System.nanoTime();
        try (RunningBundle bundle = RunningBundle.start(s)) {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> bundle.get(bundle.managementUrl("/observe/health/ready")).statusCode() == 200);
            assertThat(Duration.ofNanos(System.nanoTime() - startedAt)).isLessThan(Duration.ofSeconds(10));
            assertThat(RunningBundle.checkStatus(bundle.get(bundle.managementUrl("/observe/health")).body(), "clickhouse"))
                    .isEqualTo("UP");

            own.stop();
            // ClickHouse away degrades the instance; it stays ready (pages still queue) and alive
            await().atMost(Duration.ofSeconds(15)).until(() -> "UNKNOWN".equals(
                    RunningBundle.checkStatus(bundle.get(bundle.managementUrl("/observe/health")).body(), "clickhouse")));
            var health = bundle.get(bundle.managementUrl("/observe/health"));
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("degraded: ClickHouse is unreachable");
            assertThat(bundle.get(bundle.managementUrl("/observe/health/ready")).statusCode()).isEqualTo(200);
            assertThat(bundle.get(bundle.managementUrl("/observe/health/live")).statusCode()).isEqualTo(200);
        } finally {
            own.stop();
        }
    }

    @Test
    void invalidConfigurationStopsStartUpNamingEverySettingAndNoSecret() {
        Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl("it_never_created"));
        s.put("pagerduty.service-key", "short-key-do-not-print");
        s.put("pagerduty.rate-limit-per-minute", "lots");
        s.remove("pagerduty.webhook-secrets");
        assertThatThrownBy(() -> RunningBundle.start(s).close())
                .hasStackTraceContaining(InvalidConfigurationException.class.getSimpleName())
                .hasStackTraceContaining("PAGERDUTY_RATE_LIMIT_PER_MINUTE")
                .hasStackTraceContaining("PAGERDUTY_WEBHOOK_SECRETS")
                .hasStackTraceContaining("PAGERDUTY_ROUTING_RULES")
                .satisfies(e -> assertThat(stackTrace(e)).doesNotContain("short-key-do-not-print"));
    }

    private static String stackTrace(Throwable e) {
        var w = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }
}
