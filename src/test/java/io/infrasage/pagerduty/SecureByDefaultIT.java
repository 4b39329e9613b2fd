package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.infrasage.pagerduty.testing.BundleProcess;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import org.junit.jupiter.api.Test;

/** The API is closed by default: no INFRASAGE_API_TOKEN, no start, unless INFRASAGE_API_INSECURE=true says otherwise, loudly. */
class SecureByDefaultIT {

    private static Map<String, String> env(String db) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("CLICKHOUSE_URL", LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase(db)));
        env.put("PAGERDUTY_EVENTS_URL", "http://127.0.0.1:9/v2/enqueue");
        env.put("PAGERDUTY_SERVICE_KEY", "Z".repeat(32));
        env.put("PAGERDUTY_WEBHOOK_SECRETS", "secure-secret");
        env.put("INFRASAGE_DATA_DIR", Files.createTempDirectory("secure").toString());
        return env;
    }

    private static Path log(String name) throws Exception {
        Path log = Files.createDirectories(LocalClickHouse.projectRoot().resolve("target")).resolve(name);
        Files.deleteIfExists(log);
        return log;
    }

    @Test
    void withoutAnApiTokenTheBundleDoesNotStartAndSaysWhichSettingToSet() throws Exception {
        Map<String, String> env = env("it_secure");
        env.put("INFRASAGE_API_TOKEN", ""); // set but empty, as a forgotten variable in a deployment file
        Path log = log("secure-no-token.log");

        assertThatThrownBy(() -> BundleProcess.start(env, log)).hasMessageContaining("did not start");

        assertThat(Files.readString(log)).contains("INFRASAGE_API_TOKEN (anomaly.api-token) is empty")
                .contains("INFRASAGE_API_INSECURE=true");
    }

    @Test
    void insecureModeStartsOpenAndWarnsAtStartUp() throws Exception {
        Map<String, String> env = env("it_insecure");
        env.put("INFRASAGE_API_INSECURE", "true");
        Path log = log("secure-insecure.log");

        try (BundleProcess bundle = BundleProcess.start(env, log)) {
            var answer = bundle.send("/api/v1/anomalies", "{\"anomaly_id\":\"open-" + System.nanoTime() + "\",\"service\":\"api\",\"score\":0.9}",
                    null);
            assertThat(answer.statusCode()).isEqualTo(202);
        }
        assertThat(Files.readString(log)).contains("WARN").contains("INFRASAGE_API_INSECURE=true: the anomaly, resolve and verification "
                + "endpoints need no token");
    }
}
