package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.infrasage.pagerduty.testing.BundleProcess;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A restart while the old process still holds a port (a VM's service manager, a second run-local): the new process
 * exits with 1 and names the port. Without the check, a taken management port left it running, never ready.
 */
class PortTakenIT {

    @ParameterizedTest
    @ValueSource(strings = {"CAMEL_SERVER_PORT", "CAMEL_MANAGEMENT_PORT"})
    void aTakenPortStopsTheStartWithExitOneAndNamesThePort(String variable) throws Exception {
        Path log = Files.createDirectories(LocalClickHouse.projectRoot().resolve("target")).resolve("port-taken-" + variable + ".log");
        Files.deleteIfExists(log);
        try (ServerSocket holder = new ServerSocket()) {
            holder.bind(new InetSocketAddress("127.0.0.1", FreePorts.next()));
            Map<String, String> env = new HashMap<>();
            env.put("CLICKHOUSE_URL", LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase("it_port_taken")));
            env.put("PAGERDUTY_EVENTS_URL", "http://127.0.0.1:9/v2/enqueue");
            env.put("PAGERDUTY_SERVICE_KEY", "P".repeat(32));
            env.put("PAGERDUTY_WEBHOOK_SECRETS", "port-secret");
            env.put("INFRASAGE_DATA_DIR", Files.createTempDirectory("port-taken").toString());
            env.put(variable, Integer.toString(holder.getLocalPort()));

            assertThatThrownBy(() -> BundleProcess.start(env, log)).hasMessageContaining("exited with 1");

            assertThat(Files.readString(log)).contains("cannot listen on 127.0.0.1:" + holder.getLocalPort())
                    .contains(variable).doesNotContain("Started anomaly-http");
        }
    }
}
