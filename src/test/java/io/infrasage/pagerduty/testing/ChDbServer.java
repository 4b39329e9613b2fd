package io.infrasage.pagerduty.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.clickhouse.data.ClickHouseCityHash;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * Modern ClickHouse (chDB 26.x, the engine the npm registry ships) behind the part of ClickHouse's HTTP interface the
 * JDBC v2 driver speaks, so the bundle's production driver path runs against a 26.x engine here, where no modern
 * server package can be installed: the query from the URL and the body, the database and format headers, settings as
 * URL parameters (over a server profile, as a server's users.xml would give), results in whatever format the client
 * asks (RowBinaryWithNamesAndTypes for v2), native LZ4 blocks when it asks compress=1, errors as ClickHouse words them.
 * Every request's settings and SQL are logged to a file, so a test can check what the driver sent.
 * <p>
 * Like ChDb, the engine runs in a child JVM started with libjsig preloaded (see ChDb's javadoc); stop() ends that process
 * the way a crash would, start() brings it back on the same port and data.
 */
public final class ChDbServer implements ClickHouseServer, AutoCloseable {

    /** Parameters of the HTTP interface that are not settings. */
    private static final Set<String> PROTOCOL = Set.of("query", "database", "default_format", "compress", "decompress",
            "enable_http_compression", "query_id", "user", "password", "role", "session_id", "session_timeout", "session_check");
    private static final Pattern CODE = Pattern.compile("Code: (\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int port;
    private final Path session;
    private final Map<String, String> profile;
    private final Path requestLog;
    private final Path log;
    private Process process;
    private static ChDbServer shared;

    /** One request as the server saw it: the settings in force (profile and request) and the SQL. */
    public record Request(Map<String, String> settings, String sql) {
    }

    private ChDbServer(int port, Path session, Map<String, String> profile) {
        this.port = port;
        this.session = session;
        this.profile = profile;
        this.requestLog = session.resolveSibling(session.getFileName() + "-requests.log");
        this.log = session.resolveSibling(session.getFileName() + ".log");
    }

    /**
     * Starts a server on this port over a new, empty data folder; profile holds the server-side default settings
     * (modern ClickHouse's async_insert default, say).
     */
    public static ChDbServer start(int port, Map<String, String> profile) {
        Path session = LocalClickHouse.projectRoot().resolve("target/chdb-server-" + port);
        deleteRecursively(session);
        ChDbServer server = new ChDbServer(port, session, Map.copyOf(profile));
        try {
            Files.deleteIfExists(server.requestLog);
        } catch (IOException e) {
            throw new IllegalStateException("cannot delete " + server.requestLog, e);
        }
        server.start();
        return server;
    }

    /** The server the modern-path tests share, started once per test JVM and ended with it. */
    public static synchronized ChDbServer shared() {
        if (shared == null) {
            shared = start(18164, Map.of());
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop));
        }
        return shared;
    }

    @Override
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        Path lib = ChDb.install(LocalClickHouse.projectRoot());
        Path jsig = Path.of(System.getProperty("java.home"), "lib", "libjsig.so");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), ChDbServer.class.getName(),
                Integer.toString(port), lib.toString(), session.toString(), requestLog.toString()));
        profile.forEach((k, v) -> command.add(k + "=" + v));
        try {
            Files.createDirectories(session);
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().put("LD_PRELOAD", jsig.toString());
            pb.environment().put("TZ", "UTC");
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the chDB server: " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            try {
                if ("1".equals(LocalClickHouse.query(port, "SELECT 1", Duration.ofSeconds(2)))) {
                    return;
                }
            } catch (IllegalStateException notYet) {
                // still starting
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("the chDB server did not answer on port " + port + "; see " + log);
            }
            sleep(100);
        }
    }

    /** Ends the server abruptly, as a crash or a pulled cable would; start() brings it back with its data. */
    @Override
    public synchronized void stop() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    public int port() {
        return port;
    }

    /** The URL production uses: plain, so the driver takes its JDBC v2 path. */
    @Override
    public String jdbcUrl(String database) {
        return "jdbc:clickhouse://127.0.0.1:" + port + "/" + database;
    }

    /** A query's TSV answer, trimmed. */
    @Override
    public String query(String sql) {
        return LocalClickHouse.query(port, sql, Duration.ofSeconds(10));
    }

    /** Every request served so far, oldest first. */
    public List<Request> requests() {
        try {
            if (!Files.exists(requestLog)) {
                return List.of();
            }
            List<Request> out = new ArrayList<>();
            for (String line : Files.readAllLines(requestLog, StandardCharsets.UTF_8)) {
                Map<?, ?> entry = JSON.readValue(line, Map.class);
                Map<String, String> settings = new LinkedHashMap<>();
                ((Map<?, ?>) entry.get("settings")).forEach((k, v) -> settings.put(k.toString(), v.toString()));
                out.add(new Request(settings, entry.get("sql").toString()));
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + requestLog, e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new IllegalStateException("cannot delete " + dir, e);
        }
    }

    // ---- the child JVM: the HTTP interface around the engine ---------------------------------------------------------

    /** Args: port, libchdb.so, data folder, request log, then the profile's settings as name=value. */
    public static void main(String[] args) throws IOException {
        String preload = System.getenv("LD_PRELOAD");
        if (preload == null || !preload.contains("libjsig")) {
            System.err.println("ChDbServer: refusing to load chDB into a JVM without libjsig preloaded (see ChDb's javadoc)");
            System.exit(2);
        }
        ChDb.Lib lib = Native.load(args[1], ChDb.Lib.class);
        lib.chdb_set_signal_handlers_enabled(0);
        Pointer connection = lib.chdb_connect(2, new String[] {"chdb", "--path=" + args[2]});
        if (connection == null) {
            System.err.println("ChDbServer: chdb_connect failed for path " + args[2]);
            System.exit(3);
        }
        Map<String, String> profile = new LinkedHashMap<>();
        for (int i = 4; i < args.length; i++) {
            profile.put(args[i].substring(0, args[i].indexOf('=')), args[i].substring(args[i].indexOf('=') + 1));
        }
        Engine engine = new Engine(lib, connection.getPointer(0), profile, Path.of(args[3]));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0])), 64);
        // no executor: one dispatcher thread serves every request in turn, as the one chDB session needs
        server.createContext("/", engine::serve);
        server.start();
    }

    /** Answers HTTP requests from the one chDB session. */
    private static final class Engine {
        private final ChDb.Lib lib;
        private final Pointer connection;
        private final Map<String, String> profile;
        private final Path requestLog;
        /** Settings ever given by a request, reset to the profile (or the default) when the next one does not give them. */
        private final Set<String> touched = new LinkedHashSet<>();
        private final LZ4Compressor lz4 = LZ4Factory.fastestJavaInstance().fastCompressor();
        private String database = "default";

        Engine(ChDb.Lib lib, Pointer connection, Map<String, String> profile, Path requestLog) {
            this.lib = lib;
            this.connection = connection;
            this.profile = profile;
            this.requestLog = requestLog;
            touched.addAll(profile.keySet());
        }

        void serve(HttpExchange ex) throws IOException {
            try (ex) {
                if (ex.getRequestURI().getPath().equals("/ping")) {
                    answer(ex, 200, "Ok.\n".getBytes(StandardCharsets.UTF_8), false);
                    return;
                }
                Map<String, String> params = params(ex.getRequestURI().getRawQuery());
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                String sql = params.containsKey("query") ? params.get("query") + (body.isEmpty() ? "" : "\n" + body) : body;
                String db = first(ex.getRequestHeaders().getFirst("X-ClickHouse-Database"), params.get("database"), "default");
                String format = first(ex.getRequestHeaders().getFirst("X-ClickHouse-Format"), params.get("default_format"), "TabSeparated");
                boolean compress = "1".equals(params.get("compress"));
                Map<String, String> settings = new LinkedHashMap<>(profile);
                params.forEach((k, v) -> {
                    if (!PROTOCOL.contains(k) && !k.startsWith("param_")) {
                        settings.put(k, v);
                    }
                });
                logRequest(db, settings, sql);
                try {
                    useDatabase(db);
                    applySettings(settings);
                    byte[] result = run(sql, format);
                    ex.getResponseHeaders().add("X-ClickHouse-Format", format);
                    ex.getResponseHeaders().add("X-ClickHouse-Timezone", "UTC");
                    ex.getResponseHeaders().add("X-ClickHouse-Query-Id", first(params.get("query_id"), UUID.randomUUID().toString(), null));
                    ex.getResponseHeaders().add("X-ClickHouse-Summary", "{\"read_rows\":\"0\",\"read_bytes\":\"0\",\"written_rows\":\"0\","
                            + "\"written_bytes\":\"0\",\"total_rows_to_read\":\"0\",\"result_rows\":\"0\",\"result_bytes\":\"0\"}");
                    answer(ex, 200, result, compress);
                } catch (EngineException e) {
                    Matcher m = CODE.matcher(e.getMessage());
                    int code = m.find() ? Integer.parseInt(m.group(1)) : 1000;
                    ex.getResponseHeaders().add("X-ClickHouse-Exception-Code", Integer.toString(code));
                    int status = code == 81 || code == 60 ? 404 : code == 62 ? 400 : 500;
                    answer(ex, status, (e.getMessage().strip() + "\n").getBytes(StandardCharsets.UTF_8), false);
                }
            } catch (RuntimeException e) {
                e.printStackTrace();
                throw e;
            }
        }

        /** As ClickHouse does: a database that does not exist fails the request (UNKNOWN_DATABASE). */
        private void useDatabase(String db) {
            if (!db.equals(database)) {
                run("USE `" + db.replace("`", "") + "`", "TabSeparated");
                database = db;
            }
        }

        private void applySettings(Map<String, String> settings) {
            touched.addAll(settings.keySet());
            StringBuilder set = new StringBuilder("SET ");
            String sep = "";
            for (String key : touched) {
                String value = settings.get(key);
                set.append(sep).append(key.replaceAll("[^A-Za-z0-9_]", "")).append(" = ")
                        .append(value == null ? "DEFAULT" : "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'");
                sep = ", ";
            }
            if (!touched.isEmpty()) {
                run(set.toString(), "TabSeparated");
            }
        }

        private byte[] run(String sql, String format) {
            byte[] q = sql.getBytes(StandardCharsets.UTF_8);
            byte[] f = format.getBytes(StandardCharsets.US_ASCII);
            Pointer result = lib.chdb_query_n(connection, q, q.length, f, f.length);
            try {
                Pointer error = result == null ? null : lib.chdb_result_error(result);
                if (result == null || error != null) {
                    throw new EngineException(error == null ? "Code: 1000. chdb_query_n returned NULL" : error.getString(0, "UTF-8"));
                }
                long size = lib.chdb_result_length(result);
                return size == 0 ? new byte[0] : lib.chdb_result_buffer(result).getByteArray(0, Math.toIntExact(size));
            } finally {
                if (result != null) {
                    lib.chdb_destroy_query_result(result);
                }
            }
        }

        private void answer(HttpExchange ex, int status, byte[] body, boolean compress) throws IOException {
            byte[] out = compress ? compressed(body) : body;
            ex.sendResponseHeaders(status, out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(out);
                }
            }
        }

        /** ClickHouse's native compression: blocks of checksum (CityHash128), 0x82, both sizes, LZ4 data. */
        private byte[] compressed(byte[] data) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
            for (int off = 0; off < data.length; off += 1 << 20) {
                int len = Math.min(1 << 20, data.length - off);
                byte[] block = new byte[9 + lz4.maxCompressedLength(len)];
                int size = 9 + lz4.compress(data, off, len, block, 9, block.length - 9);
                block[0] = (byte) 0x82;
                putInt(block, 1, size);
                putInt(block, 5, len);
                long[] hash = ClickHouseCityHash.cityHash128(block, 0, size);
                byte[] checksum = new byte[16];
                putLong(checksum, 0, hash[0]);
                putLong(checksum, 8, hash[1]);
                out.writeBytes(checksum);
                out.write(block, 0, size);
            }
            return out.toByteArray();
        }

        private void logRequest(String db, Map<String, String> settings, String sql) throws IOException {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("database", db);
            entry.put("settings", settings);
            entry.put("sql", sql.length() > 4000 ? sql.substring(0, 4000) : sql);
            Files.writeString(requestLog, JSON.writeValueAsString(entry) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }

        private static void putInt(byte[] b, int at, int v) {
            for (int i = 0; i < 4; i++) {
                b[at + i] = (byte) (v >>> (8 * i));
            }
        }

        private static void putLong(byte[] b, int at, long v) {
            for (int i = 0; i < 8; i++) {
                b[at + i] = (byte) (v >>> (8 * i));
            }
        }

        private static Map<String, String> params(String rawQuery) {
            Map<String, String> out = new LinkedHashMap<>();
            if (rawQuery == null || rawQuery.isEmpty()) {
                return out;
            }
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                out.put(k, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
            return out;
        }

        private static String first(String a, String b, String c) {
            return a != null && !a.isEmpty() ? a : b != null && !b.isEmpty() ? b : c;
        }
    }

    private static final class EngineException extends RuntimeException {
        EngineException(String message) {
            super(message);
        }
    }
}
