package io.infrasage.pagerduty.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.infrasage.pagerduty.BundleMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Load shedding on a real Vert.x server and real HTTP: requests held by a route that has not answered yet count. */
class AdmissionTest {

    final Vertx vertx = Vertx.vertx();
    final List<RoutingContext> held = new CopyOnWriteArrayList<>();
    final HttpClient http = HttpClient.newHttpClient();
    Admission admission;
    HttpServer server;

    @BeforeEach
    void start() throws Exception {
        Router router = Router.router(vertx);
        router.post("/api/v1/slow").handler(held::add);                       // answers only when the test says so
        router.get("/observe/health").handler(ctx -> ctx.response().end("UP"));
        admission = new Admission(2, new BundleMetrics());
        admission.installOn(router);                                          // after the routes, as at start-up
        server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").toCompletionStage()
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.actualPort() + path);
    }

    CompletableFuture<HttpResponse<String>> post() {
        return http.sendAsync(HttpRequest.newBuilder(uri("/api/v1/slow")).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    void answerHeld() {
        held.forEach(ctx -> ctx.vertx().runOnContext(v -> ctx.response().setStatusCode(202).end()));
        held.clear();
    }

    @Test
    void beyondTheLimitTheAnswerIs503WithRetryAfterAtOnceAndTheAdmittedOnesAreStillAnswered() throws Exception {
        var first = post();
        var second = post();
        await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 2);

        HttpResponse<String> shed = post().get(5, TimeUnit.SECONDS);
        assertThat(shed.statusCode()).isEqualTo(503);
        assertThat(shed.headers().firstValue("Retry-After")).contains("1");
        assertThat(shed.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(shed.body()).contains("\"error\":\"overloaded\"").doesNotContain("Exception");
        // only the bundle's API is guarded
        assertThat(http.send(HttpRequest.newBuilder(uri("/observe/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);

        answerHeld();
        assertThat(first.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(202);
        assertThat(second.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.inFlight() == 0);
        var again = post();
        await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 1);
        answerHeld();
        assertThat(again.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(202);
    }

    @Test
    void aCallerThatHangsUpGivesItsPlaceBack() throws Exception {
        for (int i = 0; i < 2; i++) {
            try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
                OutputStream out = s.getOutputStream();
                out.write(("POST /api/v1/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                int expected = i + 1;
                await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == expected);
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.inFlight() == 0);
        held.clear();
        var admitted = post();
        await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 1);
        answerHeld();
        assertThat(admitted.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(202);
    }
}
