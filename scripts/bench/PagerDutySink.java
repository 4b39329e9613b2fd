import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A PagerDuty Events API v2 stand-in in a process of its own, for scripts/benchmark.sh user: every POST is answered 202
 * as PagerDuty answers an accepted event, and counted. GET /stats answers "events distinct first_ms last_ms" (epoch
 * millis of the first and last event); POST /reset starts counting again. Binds 127.0.0.1 only.
 *   java scripts/bench/PagerDutySink.java <port>
 */
public final class PagerDutySink {

    private static final Pattern DEDUP_KEY = Pattern.compile("\"dedup_key\"\\s*:\\s*\"([^\"]*)\"");
    private static final AtomicLong EVENTS = new AtomicLong();
    private static final AtomicLong FIRST = new AtomicLong();
    private static final AtomicLong LAST = new AtomicLong();
    private static final Set<String> KEYS = ConcurrentHashMap.newKeySet();

    public static void main(String[] args) throws IOException {
        // the JDK's server writes headers and body apart; without TCP_NODELAY each answer waits out the client's delayed
        // ACK (about 40 ms), so the stand-in, not the system measured, would set the pace
        System.setProperty("sun.net.httpserver.nodelay", "true");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 1024);
        // a remote service answers many requests at once; 16 threads keep the stand-in from being the bottleneck
        server.setExecutor(Executors.newFixedThreadPool(16));
        server.createContext("/stats", x -> answer(x, 200, EVENTS.get() + " " + KEYS.size() + " " + FIRST.get() + " " + LAST.get() + "\n"));
        server.createContext("/reset", x -> {
            EVENTS.set(0);
            KEYS.clear();
            FIRST.set(0);
            LAST.set(0);
            answer(x, 200, "reset\n");
        });
        server.createContext("/", PagerDutySink::event);
        server.start();
        System.out.println("PagerDuty sink on 127.0.0.1:" + args[0]);
    }

    private static void event(HttpExchange x) throws IOException {
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Matcher m = DEDUP_KEY.matcher(body);
        String key = m.find() ? m.group(1) : "";
        long now = System.currentTimeMillis();
        FIRST.compareAndSet(0, now);
        LAST.accumulateAndGet(now, Math::max);
        EVENTS.incrementAndGet();
        KEYS.add(key);
        answer(x, 202, "{\"status\":\"success\",\"message\":\"Event processed\",\"dedup_key\":\"" + key + "\"}");
    }

    private static void answer(HttpExchange x, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", status == 202 ? "application/json" : "text/plain");
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }
}
