package io.infrasage.pagerduty.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A steady stream of anomalies as InfraSage sends them: one POST every period through a router (a load balancer), each
 * retried after a 503 or when no instance is in rotation, as a client that can act on the answer does. Every answer
 * is kept. Bounded: it stops when asked, or after the given number of posts.
 */
public final class AnomalyStream implements AutoCloseable {

    /** One answer to one attempt: status -1 when the request got no HTTP answer at all (refused or reset). */
    public record Answer(String anomalyId, int status, String contentType, String retryAfter, String body, long millis,
                         String failure) {
        public boolean isJson503() {
            return status == 503 && contentType != null && contentType.startsWith("application/json") && retryAfter != null
                    && body.startsWith("{");
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Function<String, Optional<URI>> router;
    private final Function<String, String> anomalyJson;
    private final List<Answer> answers = new CopyOnWriteArrayList<>();
    private final Set<String> accepted = ConcurrentHashMap.newKeySet();
    private final Set<String> given = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final ExecutorService clients = Executors.newFixedThreadPool(16);
    private final Thread pacer;

    /**
     * @param router      the URI of /api/v1/anomalies on an instance in rotation, or empty when none is
     * @param anomalyJson the body of the anomaly with this id
     */
    public AnomalyStream(String prefix, Duration period, int maxPosts, Function<String, Optional<URI>> router,
                         Function<String, String> anomalyJson) {
        this.router = router;
        this.anomalyJson = anomalyJson;
        this.pacer = new Thread(() -> {
            for (int i = 0; i < maxPosts && !stop.get(); i++) {
                String id = prefix + "-" + i;
                given.add(id);
                clients.submit(() -> postUntilAccepted(id));
                try {
                    Thread.sleep(period.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "anomaly-stream");
        pacer.start();
    }

    private void postUntilAccepted(String id) {
        long giveUpAt = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < giveUpAt) {
            Optional<URI> uri = router.apply("/api/v1/anomalies");
            if (uri.isPresent()) {
                long t0 = System.nanoTime();
                try {
                    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri.get()).timeout(Duration.ofSeconds(30))
                            .header("Content-Type", "application/json").header("Authorization", "Bearer " + RunningBundle.API_TOKEN)
                            .POST(HttpRequest.BodyPublishers.ofString(anomalyJson.apply(id))).build(), HttpResponse.BodyHandlers.ofString());
                    answers.add(new Answer(id, r.statusCode(), r.headers().firstValue("Content-Type").orElse(null),
                            r.headers().firstValue("Retry-After").orElse(null), r.body(), (System.nanoTime() - t0) / 1_000_000, null));
                    if (r.statusCode() / 100 == 2) {
                        accepted.add(id);
                        return;
                    }
                } catch (IOException e) {
                    answers.add(new Answer(id, -1, null, null, "", (System.nanoTime() - t0) / 1_000_000, e.toString()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Stops posting new anomalies and waits for those in progress to be accepted or given up. */
    public void finish() throws InterruptedException {
        stop.set(true);
        pacer.join();
        clients.shutdown();
        clients.awaitTermination(90, TimeUnit.SECONDS);
    }

    public List<Answer> answers() {
        return List.copyOf(answers);
    }

    /** Anomaly ids answered 2xx. */
    public Set<String> accepted() {
        return Set.copyOf(accepted);
    }

    /** Anomaly ids posted at least once. */
    public Set<String> posted() {
        return Set.copyOf(given);
    }

    @Override
    public void close() throws InterruptedException {
        finish();
    }
}
