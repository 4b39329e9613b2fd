package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slow clients cannot shut the API out: uploads that drip their bodies hold no in-flight place and are cut off at the
 * body deadline, and connections that send nothing, or only part of their headers however slowly they drip it, are
 * closed at the idle timeout. Short deadlines keep it fast.
 */
class SlowClientIT {

    static final int SLOW_UPLOADS = 300;
    static final Duration BODY_TIMEOUT = Duration.ofSeconds(5);
    static final Duration IDLE_TIMEOUT = Duration.ofMillis(1500);
    static final String KEY = "W".repeat(28) + "slow";

    static PagerDutySandbox sandbox;
    static RunningBundle bundle;

    @BeforeAll
    static void start() {
        sandbox = PagerDutySandbox.builder().port(0).start();
        Map<String, String> s = RunningBundle.baseSettings(LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase("it_slow")));
        s.put("pagerduty.events-url", sandbox.eventsUrl());
        s.put("pagerduty.service-key", KEY);
        s.put("infrasage.http-max-in-flight", "256"); // the default, below the number of slow uploads
        s.put("infrasage.http-body-timeout", BODY_TIMEOUT.toMillis() + "ms");
        s.put("infrasage.http-idle-timeout", IDLE_TIMEOUT.toMillis() + "ms");
        bundle = RunningBundle.start(s);
    }

    @AfterAll
    static void stop() {
        bundle.close();
        sandbox.close();
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket(bundle.url("/").getHost(), bundle.url("/").getPort());
        socket.setSoTimeout(15_000);
        return socket;
    }

    /** Reads one HTTP response head (and a Content-Length body) off the socket; empty when the server closed it. */
    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return head.toString(StandardCharsets.UTF_8);
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.UTF_8);
        int length = text.toLowerCase().indexOf("content-length:");
        if (length >= 0) {
            int n = Integer.parseInt(text.substring(length + 15, text.indexOf("\r\n", length)).trim());
            text += new String(in.readNBytes(n), StandardCharsets.UTF_8);
        }
        return text;
    }

    @Test
    void threeHundredSlowUploadsDoNotKeepARealAnomalyFromBeingAnsweredAndPaged() throws Exception {
        List<Socket> slow = new ArrayList<>();
        ScheduledExecutorService drip = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int i = 0; i < SLOW_UPLOADS; i++) {
                Socket socket = connect();
                slow.add(socket);
                socket.getOutputStream().write(("POST /api/v1/anomalies HTTP/1.1\r\nHost: localhost\r\n"
                        + "Content-Type: application/json\r\nAuthorization: Bearer " + RunningBundle.API_TOKEN + "\r\n"
                        + "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            // each upload is under way: the server has its headers and asked for the body (none was shed)
            for (Socket socket : slow) {
                assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 100 Continue");
            }
            // a few bytes a second on every connection, faster than the idle timeout
            drip.scheduleAtFixedRate(() -> slow.forEach(socket -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    out.write("1\r\n \r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException closed) {
                    // cut off by the bundle: expected once the body deadline passes
                }
            }), 0, 300, TimeUnit.MILLISECONDS);

            String id = "real-" + System.nanoTime();
            long start = System.nanoTime();
            // a client of its own: a pooled connection of the harness's client may have been closed by the short idle timeout
            HttpResponse<String> answer = HttpClient.newHttpClient().send(bundle.authorized(HttpRequest.newBuilder(bundle.url("/api/v1/anomalies"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"anomaly_id\":\"" + id + "\",\"service\":\"api\",\"score\":0.9}"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
            System.out.println("real anomaly answered " + answer.statusCode() + " in " + millis + " ms while " + SLOW_UPLOADS + " uploads dripped");
            assertThat(millis).as("answered in %d ms", millis).isLessThan(1000);
            for (Socket socket : slow) {
                assertThat(socket.getInputStream().available()).as("slow upload still held open").isZero();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> sandbox.events().stream()
                    .anyMatch(e -> ("infrasage-" + id).equals(e.dedupKey()) && e.status() == 202));

            // past the body deadline every slow upload is answered 408 in JSON and its connection closed
            for (Socket socket : slow) {
                InputStream in = socket.getInputStream();
                String timeout = readResponse(in);
                assertThat(timeout).startsWith("HTTP/1.1 408").contains("application/json").contains("\"error\":\"request timeout\"");
                assertThat(in.read()).isEqualTo(-1);
            }
        } finally {
            drip.shutdownNow();
            for (Socket socket : slow) {
                socket.close();
            }
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAtTheIdleTimeout() throws Exception {
        try (Socket silent = connect()) {
            long start = System.nanoTime();

            assertThat(silent.getInputStream().read()).isEqualTo(-1);

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(IDLE_TIMEOUT.dividedBy(2))
                    .isLessThan(IDLE_TIMEOUT.multipliedBy(4));
        }
    }

    @Test
    void headersDrippedFasterThanTheIdleTimeoutAreCutOffAtTheIdleTimeout() throws Exception {
        ScheduledExecutorService drip = Executors.newSingleThreadScheduledExecutor();
        try (Socket partial = connect()) {
            OutputStream out = partial.getOutputStream();
            out.write("POST /api/v1/anomalies HTTP/1.1\r\nHost: localhost\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();
            drip.scheduleAtFixedRate(() -> {
                try {
                    out.write("X-Drip: 1\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException closed) {
                    // cut off by the bundle
                }
            }, 200, 200, TimeUnit.MILLISECONDS);

            InputStream in = partial.getInputStream();
            String answer = readResponse(in);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            // headers still incomplete count as silence: closed, unanswered (the 408 is the reverse proxy's, docs/deployment.md)
            assertThat(answer).isEmpty();
            assertThat(took).isGreaterThan(IDLE_TIMEOUT.dividedBy(2)).isLessThan(IDLE_TIMEOUT.multipliedBy(3));
            assertThat(in.read()).isEqualTo(-1);
        } finally {
            drip.shutdownNow();
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAtTheIdleTimeout() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(("GET /api/v1/pagerduty/incidents HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                    + RunningBundle.API_TOKEN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            assertThat(readResponse(in)).startsWith("HTTP/1.1 ");
            long start = System.nanoTime();

            int next;
            try {
                // the rest of the answer (chunked), then the end of the stream when the bundle closes the connection
                while ((next = in.read()) >= 0) {
                    // discard
                }
            } catch (SocketTimeoutException e) {
                next = -2;
            }

            assertThat(next).as("closed by the bundle").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(IDLE_TIMEOUT.multipliedBy(4));
        }
    }

    @Test
    void theApiPortSpeaksHttp1OnlySoNoUploadCanSkipTheBodyDeadlineBeforeTakingAPlace() throws Exception {
        try (Socket upgrade = connect()) {
            upgrade.getOutputStream().write(("GET /api/v1/pagerduty/incidents HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                    + RunningBundle.API_TOKEN + "\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n").getBytes(StandardCharsets.US_ASCII));

            assertThat(readResponse(upgrade.getInputStream())).startsWith("HTTP/1.1 ").doesNotStartWith("HTTP/1.1 101");
        }
        try (Socket priorKnowledge = connect()) {
            priorKnowledge.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

            // an HTTP/2 server answers with a SETTINGS frame (binary); this one reads it as text and refuses it, or closes
            String answer = readResponse(priorKnowledge.getInputStream());
            assertThat(answer.isEmpty() || answer.matches("(?s)HTTP/[0-9.]+ [45]\\d\\d .*")).as(answer).isTrue();
        }
    }
}
