package io.infrasage.pagerduty.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * chDB, ClickHouse 26.x as a library (no server), for tests that prove the bundle's SQL on modern ClickHouse. One
 * session whose data lives in a folder, so DDL and the INSERTs and SELECTs after it see each other. The library is
 * installed by scripts/install-chdb.sh when missing; its C API is called through JNA (see Lib).
 * <p>
 * The library runs in a JVM of its own, started with HotSpot's signal-chaining library libjsig preloaded. chDB installs
 * its own SIGSEGV, SIGBUS, SIGILL and SIGFPE handlers when it connects, and opting out of them resets those signals to
 * their defaults, while a JVM needs its own handlers there (safepoint polls, implicit null checks): loaded into the test
 * JVM, chDB makes it hang or die at a later safepoint. libjsig keeps the JVM's handlers in place, but only when loaded
 * before the JVM starts, so the test JVM talks to the child over a socket on 127.0.0.1.
 */
public final class ChDb implements AutoCloseable {

    private static final String FORMAT = "TabSeparatedWithNames";

    private final Process process;
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final Path log;
    private final Path library;

    private ChDb(Process process, Socket socket, Path log, Path library) throws IOException {
        this.process = process;
        this.socket = socket;
        socket.setSoTimeout(120_000);
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
        this.log = log;
        this.library = library;
    }

    /** A result in the text the engine answered: column names, and each row's values (TSV-unescaped). */
    public record Result(List<String> columns, List<List<String>> rows) {
        public List<Map<String, String>> maps() {
            List<Map<String, String>> out = new ArrayList<>();
            for (List<String> row : rows) {
                Map<String, String> m = new LinkedHashMap<>();
                for (int i = 0; i < columns.size(); i++) {
                    m.put(columns.get(i), row.get(i));
                }
                out.add(m);
            }
            return out;
        }

        public List<String> column(int index) {
            return rows.stream().map(r -> r.get(index)).toList();
        }
    }

    /** Installs chDB when missing and opens a session on the folder (created when missing, reused when there). */
    public static ChDb open(Path sessionDir) {
        Path root = LocalClickHouse.projectRoot();
        Path lib = install(root);
        Path log = root.resolve("target/chdb.log");
        String javaHome = System.getProperty("java.home");
        Path jsig = Path.of(javaHome, "lib", "libjsig.so");
        if (!Files.exists(jsig)) {
            throw new IllegalStateException("this JDK has no " + jsig + ", which chDB needs to run inside a JVM");
        }
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Files.createDirectories(sessionDir);
            server.setSoTimeout(1000);
            ProcessBuilder pb = new ProcessBuilder(Path.of(javaHome, "bin", "java").toString(), "-Xmx256m",
                    "-cp", System.getProperty("java.class.path"), ChDb.class.getName(),
                    Integer.toString(server.getLocalPort()), lib.toString(), sessionDir.toAbsolutePath().toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
            pb.environment().put("LD_PRELOAD", jsig.toString());
            // DateTime as text in UTC, which the bundle assumes of its server (the 18.16 one answers in the host's zone)
            pb.environment().put("TZ", "UTC");
            Process p = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (true) {
                try {
                    return new ChDb(p, server.accept(), log, lib);
                } catch (java.net.SocketTimeoutException e) {
                    if (!p.isAlive() || System.nanoTime() > deadline) {
                        p.destroyForcibly();
                        throw new IllegalStateException("chDB did not start (exit " + (p.isAlive() ? "none" : p.exitValue())
                                + "); its output, " + log + ":\n" + tail(log));
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot start chDB: " + e.getMessage(), e);
        }
    }

    /** Runs scripts/install-chdb.sh (quick when chDB is there) and returns the libchdb.so it names. */
    static Path install(Path root) {
        Path log = root.resolve("target/install-chdb.log");
        try {
            Files.createDirectories(log.getParent());
            Process p = new ProcessBuilder("bash", root.resolve("scripts/install-chdb.sh").toString())
                    .redirectError(ProcessBuilder.Redirect.to(log.toFile())).start();
            String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0 || stdout.isEmpty()) {
                p.destroyForcibly();
                throw new IllegalStateException("scripts/install-chdb.sh could not install chDB, so the bundle's SQL cannot be "
                        + "tested on modern ClickHouse. Its output (" + log + "):\n" + tail(log));
            }
            return Path.of(stdout.lines().reduce((a, b) -> b).orElseThrow());
        } catch (IOException e) {
            throw new IllegalStateException("cannot run scripts/install-chdb.sh: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs one statement; throws with the engine's message when it fails. */
    public synchronized Result query(String sql) {
        try {
            byte[] q = sql.getBytes(StandardCharsets.UTF_8);
            out.writeInt(q.length);
            out.write(q);
            out.flush();
            boolean failed = in.readByte() != 0;
            byte[] answer = new byte[in.readInt()];
            in.readFully(answer);
            String text = new String(answer, StandardCharsets.UTF_8);
            if (failed) {
                throw new ChDbException(text.strip().lines().findFirst().orElse("(no message)") + "\n  in: " + sql);
            }
            return parse(text);
        } catch (IOException e) {
            throw new IllegalStateException("lost chDB (" + e.getMessage() + "); its output, " + log + ":\n" + tail(log), e);
        }
    }

    /** The version of the chDB package the library came from (its package.json). */
    public String packageVersion() {
        try {
            Matcher m = Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\"")
                    .matcher(Files.readString(library.resolveSibling("package.json")));
            return m.find() ? m.group(1) : "unknown";
        } catch (IOException e) {
            return "unknown";
        }
    }

    public static final class ChDbException extends RuntimeException {
        ChDbException(String message) {
            super(message);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.writeInt(-1);
            out.flush();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    // ---- SQL text ------------------------------------------------------------------------------------------------

    /** A JDBC parameter as a ClickHouse literal: numbers as they are, anything else a quoted, escaped string. */
    public static String literal(Object value) {
        if (value == null) {
            return "NULL";
        }
        if (value instanceof Number n) {
            return n.toString();
        }
        return "'" + value.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** The statement with each '?' outside quotes replaced by the literal of the next parameter. */
    public static String bind(String sql, List<?> params) {
        StringBuilder b = new StringBuilder();
        Iterator<?> next = params.iterator();
        char quote = 0;
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (quote != 0) {
                b.append(c);
                if (c == '\\' && i + 1 < sql.length()) {
                    b.append(sql.charAt(++i));
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
                b.append(c);
            } else if (c == '?') {
                if (!next.hasNext()) {
                    throw new IllegalArgumentException("more '?' than the " + params.size() + " parameters in: " + sql);
                }
                b.append(literal(next.next()));
            } else {
                b.append(c);
            }
        }
        if (next.hasNext()) {
            throw new IllegalArgumentException("fewer '?' than the " + params.size() + " parameters in: " + sql);
        }
        return b.toString();
    }

    static Result parse(String tsv) {
        List<String> lines = tsv.isEmpty() ? List.of() : List.of(tsv.split("\n", -1));
        if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines = lines.subList(0, lines.size() - 1);
        }
        if (lines.isEmpty()) {
            return new Result(List.of(), List.of());
        }
        List<List<String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            rows.add(cells(line));
        }
        return new Result(cells(lines.get(0)), rows);
    }

    private static List<String> cells(String line) {
        List<String> cells = new ArrayList<>();
        for (String cell : line.split("\t", -1)) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < cell.length(); i++) {
                char c = cell.charAt(i);
                if (c == '\\' && i + 1 < cell.length()) {
                    char e = cell.charAt(++i);
                    b.append(switch (e) {
                        case 'n' -> '\n';
                        case 't' -> '\t';
                        case 'r' -> '\r';
                        case 'b' -> '\b';
                        case 'f' -> '\f';
                        case '0' -> '\0';
                        default -> e;
                    });
                } else {
                    b.append(c);
                }
            }
            cells.add(b.toString());
        }
        return cells;
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    // ---- the child JVM -------------------------------------------------------------------------------------------

    /**
     * The part of chDB's C API used here: the connection-based API of chdb.h (chDB 26.x), results as opaque handles. The
     * npm package ships no header; these follow programs/local/chdb.h in chDB's sources, and are all exported by the
     * pinned libchdb.so (nm -D).
     */
    interface Lib extends Library {
        void chdb_set_signal_handlers_enabled(int enabled);

        /** Returns a chdb_connection* (a pointer to the connection), NULL on failure. */
        Pointer chdb_connect(int argc, String[] argv);

        void chdb_close_conn(Pointer connectionPointer);

        Pointer chdb_query_n(Pointer connection, byte[] query, long queryLength, byte[] format, long formatLength);

        Pointer chdb_result_error(Pointer result);

        Pointer chdb_result_buffer(Pointer result);

        long chdb_result_length(Pointer result);

        void chdb_destroy_query_result(Pointer result);
    }

    /** Child JVM: args port, libchdb.so, session folder. Answers each query: 0 or 1 (failed), length, bytes. */
    public static void main(String[] args) throws IOException {
        String preload = System.getenv("LD_PRELOAD");
        if (preload == null || !preload.contains("libjsig")) {
            System.err.println("ChDb: refusing to load chDB into a JVM without libjsig preloaded (see ChDb's javadoc)");
            System.exit(2);
        }
        Lib lib = Native.load(args[1], Lib.class);
        // chDB's own crash handlers off: with libjsig they would only be chained, and the JVM's crash report is better
        lib.chdb_set_signal_handlers_enabled(0);
        Pointer connection = lib.chdb_connect(2, new String[] {"chdb", "--path=" + args[2]});
        if (connection == null) {
            System.err.println("ChDb: chdb_connect failed for path " + args[2]);
            System.exit(3);
        }
        byte[] format = FORMAT.getBytes(StandardCharsets.US_ASCII);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
             DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()))) {
            int length;
            while ((length = in.readInt()) >= 0) {
                byte[] query = new byte[length];
                in.readFully(query);
                Pointer result = lib.chdb_query_n(connection.getPointer(0), query, length, format, format.length);
                byte[] answer;
                Pointer error = result == null ? null : lib.chdb_result_error(result);
                if (result == null || error != null) {
                    out.writeByte(1);
                    answer = (error == null ? "chdb_query_n returned NULL" : error.getString(0, "UTF-8"))
                            .getBytes(StandardCharsets.UTF_8);
                } else {
                    out.writeByte(0);
                    long size = lib.chdb_result_length(result);
                    answer = size == 0 ? new byte[0] : lib.chdb_result_buffer(result).getByteArray(0, Math.toIntExact(size));
                }
                if (result != null) {
                    lib.chdb_destroy_query_result(result);
                }
                out.writeInt(answer.length);
                out.write(answer);
                out.flush();
            }
        } finally {
            lib.chdb_close_conn(connection);
        }
    }
}
