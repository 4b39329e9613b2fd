package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Delivers incident changes as PagerDuty Webhooks v3, the way PagerDuty does: one ordered queue per subscription
 * (a failing head blocks the ones behind it, so order is kept), at-least-once with retries, HMAC-SHA256 signatures
 * with one {@code v1=} entry per secret during rotation, and subscriptions disabled after repeated drops.
 */
final class WebhookSender implements IncidentStore.Publisher, AutoCloseable {

    /** One webhook subscription; more than one secret means a rotation is in progress. */
    record Subscription(String id, URI url, List<String> secrets) {
    }

    /** Retry policy: exponential backoff from {@code initialBackoff}, doubling up to {@code maxBackoff}. */
    record Policy(Duration timeout, Duration initialBackoff, Duration maxBackoff, int maxAttempts) {
    }

    /** Everything about one (event, subscription) pair that must stay identical across retries and redeliveries. */
    private record Delivery(String eventId, String eventType, String deliveryId, byte[] body, String signature) {
    }

    static final int DROPS_BEFORE_DISABLE = 3;

    private final Policy policy;
    private final Clock clock;
    private final Consumer<WebhookAttempt> onAttempt;
    private final HttpClient http;
    private final Map<String, Worker> workers = new LinkedHashMap<>();
    private final Map<String, List<Delivery>> deliveriesByEvent = new LinkedHashMap<>();
    private final List<JsonNode> published = new ArrayList<>();
    private final List<WebhookAttempt> attempts = new ArrayList<>();
    private final AtomicInteger pending = new AtomicInteger();

    WebhookSender(List<Subscription> subscriptions, Policy policy, Clock clock, Consumer<WebhookAttempt> onAttempt) {
        this.policy = policy;
        this.clock = clock;
        this.onAttempt = onAttempt;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(policy.timeout())
                .followRedirects(HttpClient.Redirect.NEVER) // a redirect is not a 2xx: PagerDuty does not follow it
                .build();
        for (Subscription subscription : subscriptions) {
            workers.put(subscription.id(), new Worker(subscription));
        }
        workers.values().forEach(w -> w.thread.start());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Publishing (called by IncidentStore under its lock, so it only builds bytes and enqueues).

    @Override
    public void publish(String eventType, ObjectNode agent, ObjectNode data) {
        ObjectNode event = Json.object();
        event.put("id", Ids.random("01", 24));
        event.put("event_type", eventType);
        event.put("resource_type", "incident");
        event.put("occurred_at", Json.millis(clock.instant()));
        event.set("agent", agent);
        event.putNull("client");
        event.set("data", data);
        ObjectNode envelope = Json.object();
        envelope.set("event", event);
        byte[] body = Json.bytes(envelope); // signed and sent byte for byte, on every attempt

        String eventId = event.get("id").asText();
        synchronized (this) {
            published.add(envelope);
            List<Delivery> deliveries = new ArrayList<>();
            for (Worker worker : workers.values()) {
                Delivery delivery = new Delivery(eventId, eventType, UUID.randomUUID().toString(), body,
                        signatureHeader(body, worker.subscription.secrets()));
                deliveries.add(delivery);
                worker.enqueue(delivery);
            }
            deliveriesByEvent.put(eventId, deliveries);
        }
    }

    /** Sends an event's deliveries again, unchanged (same bytes, ids and signature), {@code times} more times each. */
    synchronized void redeliver(String eventId, int times) {
        List<Delivery> deliveries = deliveriesByEvent.get(eventId);
        if (deliveries == null) {
            throw new NoSuchElementException("no webhook event " + eventId);
        }
        if (times < 1) {
            throw new IllegalArgumentException("times must be at least 1");
        }
        List<Worker> targets = List.copyOf(workers.values());
        for (int t = 0; t < times; t++) {
            for (int i = 0; i < targets.size(); i++) {
                targets.get(i).enqueue(deliveries.get(i));
            }
        }
    }

    /**
     * Sends {@code body} with exactly {@code headers} (nothing added, nothing signed) to a subscription's URL, outside
     * the queue, and returns the receiver's status (-1 when it could not be reached). For forged-signature tests.
     * The JDK client refuses a few headers (Host, Content-Length, Connection...) unless
     * {@code -Djdk.httpclient.allowRestrictedHeaders} lists them.
     */
    int sendRaw(String subscriptionId, String body, Map<String, String> headers) {
        Worker worker = subscriptionId == null ? workers.values().stream().findFirst().orElse(null)
                : workers.get(subscriptionId);
        if (worker == null) {
            throw new IllegalStateException(subscriptionId == null ? "no webhook subscription configured"
                    : "no webhook subscription " + subscriptionId);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(worker.subscription.url())
                .timeout(policy.timeout())
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        headers.forEach(request::header);
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    synchronized List<WebhookAttempt> attempts() {
        return List.copyOf(attempts);
    }

    /** Every webhook envelope published, in order, whether or not any subscription received it. */
    synchronized List<JsonNode> published() {
        return published.stream().<JsonNode>map(JsonNode::deepCopy).toList();
    }

    List<Subscription> subscriptions() {
        return workers.values().stream().map(w -> w.subscription).toList();
    }

    /**
     * Enables a disabled subscription again, as PagerDuty does after 24 h or on a PUT with {@code active: true}: events
     * published from now on are delivered; those published while it was disabled are not (PagerDuty never sends them).
     */
    void enable(String subscriptionId) {
        Worker worker = workers.get(subscriptionId);
        if (worker == null) {
            throw new NoSuchElementException("no webhook subscription " + subscriptionId);
        }
        worker.consecutiveDrops = 0;
        worker.disabled = false;
    }

    List<String> disabledSubscriptions() {
        return workers.values().stream().filter(w -> w.disabled).map(w -> w.subscription.id()).toList();
    }

    /** True once every queued delivery has succeeded or been dropped. */
    boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pending.get() > 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        workers.values().forEach(w -> w.thread.interrupt());
        for (Worker worker : workers.values()) {
            try {
                worker.thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** {@code v1=<hex>} per secret, comma separated: receivers accept the request if any one of them verifies. */
    static String signatureHeader(byte[] body, List<String> secrets) {
        List<String> signatures = new ArrayList<>();
        for (String secret : secrets) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                signatures.add("v1=" + HexFormat.of().formatHex(mac.doFinal(body)));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is mandatory in every JRE", e);
            }
        }
        return String.join(",", signatures);
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** One thread per subscription: the simplest way to keep PagerDuty's strict per-subscription ordering. */
    private final class Worker implements Runnable {
        final Subscription subscription;
        final LinkedBlockingQueue<Delivery> queue = new LinkedBlockingQueue<>();
        final Thread thread;
        volatile boolean disabled;
        volatile int consecutiveDrops; // counted by the worker thread, reset by enable()

        Worker(Subscription subscription) {
            this.subscription = subscription;
            this.thread = new Thread(this, "pagerduty-sandbox-webhook-" + subscription.id());
            this.thread.setDaemon(true);
        }

        void enqueue(Delivery delivery) {
            if (disabled) {
                return; // PagerDuty sends nothing to a disabled subscription
            }
            pending.incrementAndGet();
            queue.add(delivery);
        }

        @Override
        public void run() {
            try {
                while (true) {
                    Delivery delivery = queue.take();
                    try {
                        if (!disabled) {
                            deliver(delivery);
                        }
                    } finally {
                        pending.decrementAndGet();
                    }
                }
            } catch (InterruptedException e) {
                // closed
            }
        }

        private void deliver(Delivery delivery) throws InterruptedException {
            Duration backoff = policy.initialBackoff();
            for (int attempt = 1; attempt <= policy.maxAttempts(); attempt++) {
                int status = attempt(delivery, attempt);
                if (status >= 200 && status < 300) {
                    consecutiveDrops = 0;
                    return;
                }
                boolean retryable = status == -1 || status == 429 || status >= 500;
                if (!retryable) {
                    break; // any other answer (4xx, 3xx) means the receiver will never take it
                }
                if (attempt < policy.maxAttempts()) {
                    Thread.sleep(backoff.toMillis());
                    backoff = backoff.multipliedBy(2).compareTo(policy.maxBackoff()) > 0
                            ? policy.maxBackoff() : backoff.multipliedBy(2);
                }
            }
            // Dropped for good: either refused with a non-retryable status or out of attempts.
            if (++consecutiveDrops >= DROPS_BEFORE_DISABLE) {
                disabled = true; // what is still queued is skipped by run(); later events are not even queued
            }
        }

        private int attempt(Delivery delivery, int attempt) throws InterruptedException {
            HttpRequest request = HttpRequest.newBuilder(subscription.url())
                    .timeout(policy.timeout())
                    .header("Content-Type", "application/json; charset=utf-8")
                    .header("User-Agent", "PagerDuty-Webhook/V3.0")
                    .header("X-Webhook-Id", delivery.deliveryId())
                    .header("X-Webhook-Subscription", subscription.id())
                    .header("X-PagerDuty-Signature", delivery.signature())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(delivery.body()))
                    .build();
            int status;
            String error = null;
            try {
                status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                status = -1; // timeout, refused, reset: all retried
                error = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
            recordAttempt(new WebhookAttempt(subscription.id(), delivery.eventId(), delivery.eventType(),
                    delivery.deliveryId(), attempt, status, error, clock.instant()));
            return status;
        }
    }

    private void recordAttempt(WebhookAttempt attempt) {
        synchronized (this) {
            attempts.add(attempt);
        }
        if (onAttempt != null) {
            onAttempt.accept(attempt);
        }
    }
}
