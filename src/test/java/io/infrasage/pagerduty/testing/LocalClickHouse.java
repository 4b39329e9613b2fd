package io.infrasage.pagerduty.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real ClickHouse server for tests, started by the project's own scripts/clickhouse.sh (which installs Debian's
 * clickhouse-server when missing). The shared server lives on the script's default port for the whole run; tests that
 * stop ClickHouse get a private server of their own on other ports so nothing else is disturbed.
 */
public final class LocalClickHouse implements ClickHouseServer {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static LocalClickHouse shared;

    private final int httpPort;
    private final int tcpPort;
    private final Path dir;

    private LocalClickHouse(int httpPort, int tcpPort, Path dir) {
        this.httpPort = httpPort;
        this.tcpPort = tcpPort;
        this.dir = dir;
    }

    /** The server every test shares, started once (idempotent: an already running one is reused). */
    public static synchronized LocalClickHouse shared() {
        if (shared == null) {
            shared = new LocalClickHouse(18123, 19000, projectRoot().resolve(".local/clickhouse"));
            shared.start();
        }
        return shared;
    }

    /** A server of a test's own, for stopping and starting ClickHouse under the bundle. */
    public static LocalClickHouse privateServer(int httpPort, int tcpPort) {
        return new LocalClickHouse(httpPort, tcpPort, projectRoot().resolve(".local/clickhouse-" + httpPort));
    }

    /** The server's folder: data, logs, and config.d/ for settings of a test's own. */
    public Path dir() {
        return dir;
    }

    public int httpPort() {
        return httpPort;
    }

    public int tcpPort() {
        return tcpPort;
    }

    @Override
    public void start() {
        script("start");
    }

    @Override
    public void stop() {
        script("stop");
    }

    /** The JDBC URL for a database of its own (created by the bundle), in the legacy mode ClickHouse 18.16 needs. */
    @Override
    public String jdbcUrl(String database) {
        return "jdbc:clickhouse://127.0.0.1:" + httpPort + "/" + database + "?clickhouse.jdbc.v1=true&server_version=18.16.1"
                + "&server_time_zone=UTC&compress=false&format=TabSeparatedWithNamesAndTypes"
                + "&custom_http_params=default_format=TabSeparatedWithNamesAndTypes";
    }

    public static String uniqueDatabase(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** Runs a query over ClickHouse's HTTP interface and returns the TSV answer (for assertions). */
    @Override
    public String query(String sql) {
        return query(httpPort, sql, Duration.ofSeconds(10));
    }

    /** A query to the ClickHouse answering HTTP on 127.0.0.1 at this port: its TSV answer, trimmed. */
    public static String query(int httpPort, String sql, Duration timeout) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/"))
                    .POST(HttpRequest.BodyPublishers.ofString(sql)).timeout(timeout).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("ClickHouse answered " + r.statusCode() + ": " + r.body());
            }
            return r.body().strip();
        } catch (IOException e) {
            throw new IllegalStateException("ClickHouse unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public long count(String sql) {
        return Long.parseLong(query(sql));
    }

    private void script(String command) {
        try {
            ProcessBuilder pb = new ProcessBuilder("bash", projectRoot().resolve("scripts/clickhouse.sh").toString(), command)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()));
            Map<String, String> env = pb.environment();
            env.put("CLICKHOUSE_HTTP_PORT", Integer.toString(httpPort));
            env.put("CLICKHOUSE_TCP_PORT", Integer.toString(tcpPort));
            env.put("CLICKHOUSE_DIR", dir.toString());
            Process p = pb.start();
            if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("scripts/clickhouse.sh " + command + " failed; see " + logFile());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run scripts/clickhouse.sh: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path logFile() throws IOException {
        Path log = projectRoot().resolve("target/clickhouse-script.log");
        Files.createDirectories(log.getParent());
        return log;
    }

    public static Path projectRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("pom.xml"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("run the tests from the project folder");
        }
        return p;
    }
}
