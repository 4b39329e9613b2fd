package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.List;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every error the API port answers is JSON naming the problem, also those Vert.x answers before any route runs. */
class HttpErrorsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    static RunningBundle bundle;

    @BeforeAll
    static void start() {
        Map<String, String> s = RunningBundle.baseSettings(LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase("it_errors")));
        s.put("pagerduty.service-key", "E".repeat(32));
        s.put("pagerduty.events-url", "http://127.0.0.1:9/v2/enqueue");
        bundle = RunningBundle.start(s);
    }

    @AfterAll
    static void stop() {
        bundle.close();
    }

    /** A raw HTTP/1.1 exchange: the request as written, the answer as read until the server closes. */
    record Answer(int status, String head, String body) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }

        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    static Answer raw(String request, byte[] body) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", bundle.url("/").getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            if (body != null) {
                try {
                    socket.getOutputStream().write(body);
                } catch (IOException closedEarly) {
                    // the server may answer and close before the whole body is sent
                }
            }
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            try {
                while ((n = in.read(buf)) > 0) {
                    all.write(buf, 0, n);
                    String text = all.toString(StandardCharsets.UTF_8);
                    int end = text.indexOf("\r\n\r\n");
                    if (end > 0) {
                        Answer a = parse(text, end);
                        String length = a.header("Content-Length");
                        if (length != null && a.body.getBytes(StandardCharsets.UTF_8).length >= Integer.parseInt(length)) {
                            return a;
                        }
                    }
                }
            } catch (IOException reset) {
                // connection closed by the server after its answer
            }
            String text = all.toString(StandardCharsets.UTF_8);
            return parse(text, text.indexOf("\r\n\r\n"));
        }
    }

    private static Answer parse(String text, int end) {
        String head = end < 0 ? text : text.substring(0, end);
        String body = end < 0 ? "" : text.substring(end + 4);
        String[] statusLine = head.split("\r\n", 2)[0].split(" ");
        return new Answer(statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : -1, head, body);
    }

    private static void assertJsonError(Answer a, int status) throws IOException {
        assertThat(a.status()).as(a.head()).isEqualTo(status);
        assertThat(a.header("Content-Type")).as(a.head()).startsWith("application/json");
        JsonNode json = a.json();
        assertThat(json.path("error").asText()).as(a.body()).isNotBlank();
        assertThat(json.path("problems").isArray()).as(a.body()).isTrue();
    }

    @Test
    void anUnknownPathIs404InJson() throws Exception {
        Answer a = raw("GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null);

        assertJsonError(a, 404);
        assertThat(a.body()).doesNotContain("<html");
    }

    @Test
    void hostilePathIdsGetJsonAnswers() throws Exception {
        for (String path : List.of("/api/v1/anomalies/%ZZ/resolve", "/api/v1/anomalies/%ZZ", "/%ZZ")) {
            Answer a = raw("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                    + "Connection: close\r\n\r\n{}", null);
            assertJsonError(a, 400);
        }
        // a path that normalises to no endpoint is not an anomaly id "..": 404, not the 405 "this path takes POST" to a POST
        for (String path : List.of("/api/v1/anomalies/../acknowledge", "/api/v1/anomalies/%2e%2e/resolve")) {
            Answer a = raw("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                    + "Connection: close\r\n\r\n{}", null);
            assertJsonError(a, 404);
        }
    }

    @Test
    void aWrongMethodIs405InJsonWithTheMethodsThePathTakes() throws Exception {
        Answer get = raw("GET /api/v1/anomalies HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null);
        assertJsonError(get, 405);
        assertThat(get.header("Allow")).isEqualTo("POST");

        Answer delete = raw("DELETE /api/v1/anomalies/a-1/resolve HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null);
        assertJsonError(delete, 405);
        assertThat(delete.header("Allow")).isEqualTo("POST");

        Answer post = raw("POST /api/v1/pagerduty/incidents HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", null);
        assertJsonError(post, 405);
        assertThat(post.header("Allow")).isEqualTo("GET");
    }

    @Test
    void aBodyOverOneMebibyteIs413InJson() throws Exception {
        byte[] body = new byte[1_048_577];
        java.util.Arrays.fill(body, (byte) ' ');

        Answer a = raw("POST /api/v1/anomalies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer "
                + RunningBundle.API_TOKEN + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n", body);

        assertJsonError(a, 413);
    }

    @Test
    void aChunkedBodyThatGrowsOverOneMebibyteIs413InJson() throws Exception {
        ByteArrayOutputStream chunks = new ByteArrayOutputStream();
        byte[] chunk = new byte[65_536];
        java.util.Arrays.fill(chunk, (byte) ' ');
        for (int i = 0; i < 17; i++) {
            chunks.write(("10000\r\n").getBytes(StandardCharsets.US_ASCII));
            chunks.write(chunk);
            chunks.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        chunks.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

        Answer a = raw("POST /api/v1/anomalies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer "
                + RunningBundle.API_TOKEN + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", chunks.toByteArray());

        assertJsonError(a, 413);
    }

    @Test
    void aRequestLineOver4KibibytesIs414InJson() throws Exception {
        Answer a = raw("GET /api/v1/pagerduty/incidents?status=" + "a".repeat(5_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", null);

        assertJsonError(a, 414);
    }

    @Test
    void headersOver8KibibytesAre431InJson() throws Exception {
        Answer a = raw("GET /api/v1/pagerduty/incidents HTTP/1.1\r\nHost: x\r\nX-Padding: " + "p".repeat(9_000) + "\r\n\r\n", null);

        assertJsonError(a, 431);
    }
}
