package io.infrasage.pagerduty.bench;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * HTTP load for the benchmark, on java.net.http's async client. Two shapes:
 * <ul>
 *   <li>{@link #openLoop}: request i is due at start + i/rate whatever happened to earlier ones (wrk2-style), and its
 *       latency is measured from when it was due, so a stall shows up in the percentiles instead of slowing the load
 *       down (no coordinated omission);</li>
 *   <li>{@link #closedLoop}: a fixed number of requests in flight, the next one sent when one completes (wrk-style):
 *       the most the server sustains.</li>
 * </ul>
 * Both are bounded: {@code count} requests at most, and every run gives up after {@code maxWait}.
 */
public final class LoadGenerator implements AutoCloseable {

    /** Status recorded for a request that got no HTTP answer (refused, reset, timed out) or was never sent. */
    public static final int NO_ANSWER = -1;
    public static final int NOT_SENT = -2;

    private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "loadgen-http");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).executor(executor).build();

    /** What happened to each request, by index: times in {@link BenchClock} nanos. */
    public static final class Result {
        public final int count;
        public final long[] due;
        public final long[] sent;
        public final long[] done;
        public final int[] status;
        /** The answers' bodies, by index, when the run was asked to keep them (null otherwise). */
        public final byte[][] bodies;
        public final Map<String, Integer> errors = new ConcurrentHashMap<>();
        public long startNanos;
        public long endNanos;

        Result(int count, boolean keepBodies) {
            this.count = count;
            bodies = keepBodies ? new byte[count][] : null;
            due = new long[count];
            sent = new long[count];
            done = new long[count];
            status = new int[count];
            Arrays.fill(status, NOT_SENT);
        }

        public int ok() {
            return (int) Arrays.stream(status).filter(s -> s >= 200 && s < 300).count();
        }

        public int failed() {
            return count - ok();
        }

        /** Latencies (ms) of the 2xx answers, from when each request was due (open loop) or sent (closed loop). */
        public double[] latenciesMillis() {
            return java.util.stream.IntStream.range(0, count).filter(i -> status[i] >= 200 && status[i] < 300)
                    .mapToDouble(i -> (done[i] - due[i]) / 1e6).toArray();
        }

        public double seconds() {
            return (endNanos - startNanos) / 1e9;
        }

        /** 2xx answers per second over the run. */
        public double throughput() {
            return ok() / seconds();
        }

        public String errorSummary() {
            if (errors.isEmpty()) {
                return "none";
            }
            return errors.toString();
        }
    }

    /**
     * Sends {@code count} requests at {@code rate} per second on a fixed schedule.
     *
     * @param maxOutstanding requests in flight beyond which a due request is not sent (counted as NOT_SENT), so an
     *                       unresponsive server cannot make the generator pile up connections without bound
     */
    public Result openLoop(IntFunction<HttpRequest> requests, int count, double rate, int maxOutstanding, Duration maxWait) {
        Result r = new Result(count, false);
        AtomicInteger outstanding = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(count);
        long period = (long) (1e9 / rate);
        long start = BenchClock.nanos() + 20_000_000; // 20 ms to prepare the first request
        long deadline = start + maxWait.toNanos();
        r.startNanos = start;
        for (int i = 0; i < count; i++) {
            long due = start + i * period;
            HttpRequest request = requests.apply(i); // built before it is due, so building costs no latency
            long wait;
            while ((wait = due - BenchClock.nanos()) > 0) {
                LockSupport.parkNanos(wait);
            }
            r.due[i] = due;
            if (BenchClock.nanos() > deadline || outstanding.get() >= maxOutstanding) {
                r.errors.merge(BenchClock.nanos() > deadline ? "not sent: run deadline" : "not sent: " + maxOutstanding
                        + " in flight", 1, Integer::sum);
                finished.countDown();
                continue;
            }
            send(r, i, request, outstanding, finished);
        }
        await(finished, deadline);
        r.endNanos = lastDone(r);
        return r;
    }

    /** Sends {@code count} requests keeping {@code concurrency} in flight; latency counts from each send. */
    public Result closedLoop(IntFunction<HttpRequest> requests, int count, int concurrency, Duration maxWait) {
        return closedLoop(requests, count, concurrency, maxWait, false);
    }

    /** As above; {@code keepBodies} keeps each answer's body (for answers that say what became of each item of a batch). */
    public Result closedLoop(IntFunction<HttpRequest> requests, int count, int concurrency, Duration maxWait, boolean keepBodies) {
        Result r = new Result(count, keepBodies);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger outstanding = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(count);
        r.startNanos = BenchClock.nanos();
        long deadline = r.startNanos + maxWait.toNanos();
        Runnable[] sendNext = new Runnable[1];
        sendNext[0] = () -> {
            int i = next.getAndIncrement();
            if (i >= count) {
                return;
            }
            if (BenchClock.nanos() > deadline) {
                r.errors.merge("not sent: run deadline", 1, Integer::sum);
                finished.countDown();
                sendNext[0].run();
                return;
            }
            r.due[i] = BenchClock.nanos();
            send(r, i, requests.apply(i), outstanding, finished).whenComplete((v, e) -> sendNext[0].run());
        };
        for (int c = 0; c < Math.min(concurrency, count); c++) {
            sendNext[0].run();
        }
        await(finished, deadline);
        r.endNanos = lastDone(r);
        return r;
    }

    private CompletableFuture<Void> send(Result r, int i, HttpRequest request, AtomicInteger outstanding, CountDownLatch finished) {
        outstanding.incrementAndGet();
        r.sent[i] = BenchClock.nanos();
        return client.sendAsync(request, r.bodies != null ? HttpResponse.BodyHandlers.ofByteArray()
                : HttpResponse.BodyHandlers.replacing((byte[]) null)).handle((response, error) -> {
            r.done[i] = BenchClock.nanos();
            if (error != null) {
                r.status[i] = NO_ANSWER;
                Throwable cause = error.getCause() != null ? error.getCause() : error;
                r.errors.merge(cause.getClass().getSimpleName(), 1, Integer::sum);
            } else {
                r.status[i] = response.statusCode();
                if (r.bodies != null) {
                    r.bodies[i] = response.body();
                }
                if (response.statusCode() < 200 || response.statusCode() >= 300) {
                    r.errors.merge("HTTP " + response.statusCode(), 1, Integer::sum);
                }
            }
            outstanding.decrementAndGet();
            finished.countDown();
            return null;
        });
    }

    private static void await(CountDownLatch finished, long deadlineNanos) {
        try {
            // a little beyond the deadline for requests already sent to time out on their own
            finished.await(Math.max(0, deadlineNanos - BenchClock.nanos()) + TimeUnit.SECONDS.toNanos(35), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long lastDone(Result r) {
        long last = r.startNanos;
        for (int i = 0; i < r.count; i++) {
            last = Math.max(last, r.done[i]);
        }
        return last;
    }

    /** A POST with a JSON body and a request timeout. */
    public static HttpRequest post(java.net.URI uri, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        if (!headers.containsKey("Authorization")) {
            b.header("Authorization", "Bearer " + BenchSettings.API_TOKEN);
        }
        return b.build();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
