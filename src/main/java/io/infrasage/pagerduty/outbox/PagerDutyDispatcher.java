package io.infrasage.pagerduty.outbox;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.DependencyState;
import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.clickhouse.PersistenceUnavailableException;
import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.clickhouse.StateRows;
import io.infrasage.pagerduty.tracing.SpanAttributes;
import io.infrasage.pagerduty.tracing.Traceparent;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the outbox (either adapter of the {@link Outbox} port) to PagerDuty through the pagerduty-events route (direct:pagerduty-send). Per (dedup key, routing
 * key) only the oldest event is ever in flight, so a resolve never overtakes its trigger. Each routing key has a token
 * bucket sized so no 60 s window carries more than PagerDuty's per-key limit: a storm queues instead of being refused.
 */
public final class PagerDutyDispatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PagerDutyDispatcher.class);
    public static final String SEND_ENDPOINT = "direct:pagerduty-send";
    private static final long IDLE_POLL_MILLIS = 1000;
    /** How much later than the event sent after it an event may reach PagerDuty without crossing its limit. */
    static final Duration ARRIVAL_JITTER = Duration.ofSeconds(2);
    private static final long PRUNE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Outbox store;
    private final DeliveryPolicy policy;
    private final ProducerTemplate producer;
    /** The send route's endpoint, looked up once instead of resolving its URI on every send. */
    private volatile Endpoint sendEndpoint;
    private final BundleMetrics metrics;
    private final DependencyState pagerDuty;
    private final int ratePerMinute;
    private final int burst;
    private final ExecutorService workers;
    /** Events handed to the workers and not finished beyond which a poll is skipped: they have a full round queued. */
    private final int backlog;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** How many of the in-flight events each routing key has: a poll reads that many heads more than it wants. */
    private final Map<String, AtomicInteger> inFlightByKey = new ConcurrentHashMap<>();
    /**
     * When each event was last handled (nanoTime). A poll works on a snapshot of the outbox: an event handled after
     * the snapshot was taken (delivered, or rescheduled) must not be sent again from it.
     */
    private final Map<Long, Long> handledAt = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Boolean>> waiters = new ConcurrentHashMap<>();
    /** Events waiting for their retry time, earliest first: their routing key is polled again then. */
    private final ConcurrentSkipListSet<Retry> retries = new ConcurrentSkipListSet<>(
            Comparator.comparingLong(Retry::at).thenComparingLong(Retry::seq));

    private record Retry(long at, long seq, String routingKey) {
    }
    /** Outcomes the outbox could not write (its disk failed): kept until it can, never sent again meanwhile. */
    private final UnrecordedOutcomes unrecorded = new UnrecordedOutcomes();
    /** Told of an anomaly whose trigger PagerDuty refused for good (symptom inhibition lets its symptoms page then). */
    private volatile Consumer<String> onTriggerRefused = anomalyId -> { };
    private final Object signal = new Object();
    private volatile boolean running;
    private volatile boolean woken;
    private Thread scheduler;
    private long lastPrune;
    private long rounds;

    public PagerDutyDispatcher(Outbox store, DeliveryPolicy policy, ProducerTemplate producer, BundleMetrics metrics,
                               int ratePerMinute, int burst, int workers) {
        this(store, policy, producer, metrics, ratePerMinute, burst, workers,
                new DependencyState("PagerDuty", "pages wait in the outbox and are retried"));
    }

    /** @param pagerDuty told after every call whether PagerDuty answered (a 5xx or no answer: it is down) */
    public PagerDutyDispatcher(Outbox store, DeliveryPolicy policy, ProducerTemplate producer, BundleMetrics metrics,
                               int ratePerMinute, int burst, int workers, DependencyState pagerDuty) {
        this.pagerDuty = pagerDuty;
        this.store = store;
        this.policy = policy;
        this.producer = producer;
        this.metrics = metrics;
        this.ratePerMinute = ratePerMinute;
        this.burst = burst;
        this.backlog = 2 * workers;
        this.workers = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "pagerduty-sender");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        running = true;
        scheduler = new Thread(this::loop, "pagerduty-dispatcher");
        scheduler.setDaemon(true);
        scheduler.start();
    }

    public void whenTriggerRefused(Consumer<String> listener) {
        this.onTriggerRefused = listener;
    }

    /** Something was queued or finished: look at the outbox now instead of at the next timed poll. */
    public void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    /** Completes with true once the event with this sequence number is delivered, false if PagerDuty refused it. */
    public CompletableFuture<Boolean> delivery(long seq) {
        return waiters.computeIfAbsent(seq, s -> new CompletableFuture<>());
    }

    /**
     * Waits up to {@code wait} for PagerDuty's answers to these events: "sent" when every one was accepted, "failed" when
     * PagerDuty refused one (400), else "queued" (still in the outbox, being retried).
     */
    public String outcome(List<Long> seqs, Duration wait) {
        if (wait.isZero() || seqs.isEmpty()) {
            return "queued";
        }
        CompletableFuture<?>[] all = seqs.stream().map(this::delivery).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(all).get(wait.toMillis(), TimeUnit.MILLISECONDS);
            for (CompletableFuture<?> f : all) {
                if (!Boolean.TRUE.equals(f.get())) {
                    return "failed";
                }
            }
            return "sent";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "queued";
        } catch (Exception e) {
            return "queued";
        }
    }

    /**
     * Bucket4j refills greedily: with capacity B and a refill of (L - B) per minute, no 60 s window of sending holds
     * more than L events. PagerDuty counts arrivals, not sends, and one event may take longer to get there than the
     * next, which draws 429s at the edge of the limit. The refill is therefore spread over 60 s
     * plus {@link #ARRIVAL_JITTER}, so no 60 s window of arrivals exceeds L while sends vary by up to that much.
     */
    private Bucket bucketFor(String routingKey) {
        return buckets.computeIfAbsent(routingKey, k -> Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(burst).refillGreedy(ratePerMinute - burst, Duration.ofMinutes(1).plus(ARRIVAL_JITTER))
                        .initialTokens(burst).build())
                .build());
    }

    /**
     * Polls the outbox one routing key at a time, and only the keys that may have due events and have a token: a key
     * held back by PagerDuty's rate limit costs no query until its next token, and its backlog never hides another
     * key's events (a storm on one key never delays another team's page).
     */
    private void loop() {
        long recheckAt = 0;
        while (running) {
            long nextWake = System.currentTimeMillis() + IDLE_POLL_MILLIS;
            try {
                long now = System.currentTimeMillis();
                long snapshotAt = System.nanoTime();
                if (snapshotAt - lastPrune > PRUNE_EVERY_NANOS) {
                    // a full pass over the map: once a second, not on every wake (one per accept and per delivery)
                    handledAt.values().removeIf(t -> snapshotAt - t > TimeUnit.MINUTES.toNanos(1));
                    unrecorded.prune(now);
                    lastPrune = snapshotAt;
                }
                if (now >= recheckAt) {
                    // once a second every key is looked at: events queued before a restart, anything overlooked
                    store.dueKeys().activateAll();
                    recheckAt = now + IDLE_POLL_MILLIS;
                }
                Retry due;
                while ((due = retries.pollFirst()) != null) {
                    if (due.at() > now) {
                        retries.add(due);
                        break;
                    }
                    store.dueKeys().activate(due.routingKey());
                }
                // fair to every key: each poll starts one key further, and a key takes at most its share of the room
                List<Map.Entry<String, Long>> keys = new ArrayList<>(store.dueKeys().active().entrySet());
                if (!keys.isEmpty()) {
                    Collections.rotate(keys, (int) (rounds++ % keys.size()));
                }
                for (int i = 0; i < keys.size(); i++) {
                    int room = backlog - inFlight.size();
                    if (room <= 0) {
                        // the workers have a full round queued; the keys stay active. A finishing delivery wakes us.
                        break;
                    }
                    int share = Math.max(1, room / (keys.size() - i));
                    nextWake = Math.min(nextWake, poll(keys.get(i).getKey(), keys.get(i).getValue(), share, now, snapshotAt));
                }
                if (!retries.isEmpty()) {
                    nextWake = Math.min(nextWake, retries.first().at());
                }
                nextWake = Math.min(nextWake, recheckAt);
            } catch (RuntimeException ex) {
                LOG.error("outbox poll failed: {}", ex.getMessage());
            }
            waitUntil(nextWake);
        }
    }

    /** Hands the due heads of one routing key to the workers, as many as its bucket allows; returns when to look again. */
    private long poll(String routingKey, long version, int share, long now, long snapshotAt) {
        Bucket bucket = bucketFor(routingKey);
        long tokens = bucket.getAvailableTokens();
        if (tokens < 1) {
            return now + TimeUnit.NANOSECONDS.toMillis(bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill()) + 1;
        }
        int wanted = (int) Math.min(tokens, share);
        // heads already in flight are read again and skipped: ask for that many more
        int limit = wanted + inFlightOf(routingKey);
        List<OutboxEvent> heads = store.dueHeads(routingKey, now, limit);
        boolean more = heads.size() >= limit;
        int handed = 0;
        for (OutboxEvent e : heads) {
            Long handled = handledAt.get(e.seq());
            if (inFlight.contains(e.orderKey()) || handled != null && handled - snapshotAt >= 0) {
                continue; // its outcome touches the key again, or reschedules it
            }
            if (unrecorded.waiting(e.seq(), now)) {
                continue; // a retry the outbox could not reschedule: a Retry entry polls the key when it is due
            }
            Optional<DeliveryPolicy.Decision> known = unrecorded.known(e.seq());
            if (known.isPresent() && store.unwritable().isPresent()) {
                unrecorded.postpone(e.seq(), now);
                continue;
            }
            if (handed >= wanted || inFlight.size() >= backlog) {
                more = true;
                break;
            }
            handed++;
            if (known.isEmpty()) {
                var probe = bucket.tryConsumeAndReturnRemaining(1);
                if (!probe.isConsumed()) {
                    return now + TimeUnit.NANOSECONDS.toMillis(probe.getNanosToWaitForRefill()) + 1;
                }
            }
            inFlight.add(e.orderKey());
            inFlightByKey.computeIfAbsent(e.routingKey(), k -> new AtomicInteger()).incrementAndGet();
            store.sending(e);
            // PagerDuty answered it already (delivered or refused for good): only its outcome is written, nothing sent
            workers.execute(known.isPresent() ? () -> settle(e, known.get()) : () -> deliver(e));
        }
        if (!more) {
            store.dueKeys().drained(routingKey, version);
        }
        return Long.MAX_VALUE;
    }

    private int inFlightOf(String routingKey) {
        AtomicInteger n = inFlightByKey.get(routingKey);
        return n == null ? 0 : n.get();
    }

    private void waitUntil(long wakeAtMillis) {
        synchronized (signal) {
            long wait = wakeAtMillis - System.currentTimeMillis();
            if (!woken && wait > 0) {
                try {
                    signal.wait(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                }
            }
            woken = false;
        }
    }

    private void deliver(OutboxEvent e) {
        long start = System.nanoTime();
        int status;
        String detail;
        String retryAfter = null;
        try {
            // the attempt's exchange: its span (routes/pagerduty-events.camel.yaml) joins the accept's trace by traceparent
            Exchange answer = producer.send(sendEndpoint(), ex -> {
                ex.getIn().setBody(e.body());
                ex.getIn().setHeader("PagerDutyAction", e.action());
                ex.getIn().setHeader(Traceparent.HEADER, e.traceparent());
                ex.getIn().setHeader(SpanAttributes.ANOMALY_ID_HEADER, e.anomalyId());
                ex.getIn().setHeader(SpanAttributes.ATTEMPT_HEADER, e.attempts() + unrecorded.attempts(e.seq()) + 1);
                ex.getIn().setHeader(SpanAttributes.PACE_WAIT_HEADER, Math.max(0, System.currentTimeMillis() - e.dueAtMillis()));
            });
            if (answer.getException() != null) {
                status = DeliveryPolicy.NO_ANSWER;
                detail = answer.getException().getClass().getSimpleName() + ": " + answer.getException().getMessage();
            } else {
                Integer code = answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
                status = code == null ? DeliveryPolicy.NO_ANSWER : code;
                detail = answer.getMessage().getBody(String.class);
                retryAfter = answer.getMessage().getHeader("Retry-After", String.class);
            }
        } catch (RuntimeException ex) {
            status = DeliveryPolicy.NO_ANSWER;
            detail = ex.getMessage();
        }
        metrics.pagerDutyCall(status == DeliveryPolicy.NO_ANSWER ? "no_answer" : Integer.toString(status),
                Duration.ofNanos(System.nanoTime() - start));
        if (status == DeliveryPolicy.NO_ANSWER || status >= 500) {
            pagerDuty.down(status == DeliveryPolicy.NO_ANSWER ? detail : "HTTP " + status);
        } else {
            pagerDuty.up();
        }
        settle(e, policy.decide(status, retryAfter, e.attempts() + unrecorded.attempts(e.seq()), detail));
    }

    /**
     * Records PagerDuty's answer in the outbox. When the outbox cannot write it, the answer waits in memory: the event
     * stays queued and is neither lost nor sent again while this process runs.
     */
    private void settle(OutboxEvent e, DeliveryPolicy.Decision decision) {
        try {
            record(e, decision);
            unrecorded.recorded(e.seq());
        } catch (RuntimeException ex) {
            long at = unrecorded.failed(e.seq(), decision, System.currentTimeMillis());
            retries.add(new Retry(at, e.seq(), e.routingKey()));
            if (ex instanceof PersistenceUnavailableException) {
                // the store logs its outage once; one line per event would flood the log
                LOG.debug("could not record the outcome of outbox event {} ({}): {}; kept until it can", e.seq(), e.action(), ex.getMessage());
            } else {
                LOG.error("could not record the outcome of outbox event {} ({}): {}; it stays queued", e.seq(), e.action(), ex.getMessage());
            }
        } finally {
            handledAt.put(e.seq(), System.nanoTime());
            inFlightByKey.get(e.routingKey()).decrementAndGet();
            inFlight.remove(e.orderKey());
            wake();
        }
    }

    private Endpoint sendEndpoint() {
        Endpoint endpoint = sendEndpoint;
        if (endpoint == null) {
            endpoint = producer.getCamelContext().getEndpoint(SEND_ENDPOINT);
            sendEndpoint = endpoint;
        }
        return endpoint;
    }

    private void record(OutboxEvent e, DeliveryPolicy.Decision decision) {
        Instant now = Instant.now();
        String key = RoutingTarget.mask(e.routingKey());
        if (decision instanceof DeliveryPolicy.Delivered) {
            boolean trigger = e.action().equals("trigger");
            List<Row> rows = new ArrayList<>();
            if (trigger) {
                rows.add(StateRows.state(e.anomalyId(), "trigger-sent-" + e.seq(), outcomeVersion(e), now, "sent").build());
            }
            rows.add(StateRows.audit(now, "outbox-" + e.seq() + "-delivered", e.anomalyId(), e.action() + "_delivered",
                    "infrasage", "InfraSage", "bundle").set("detail", "team " + e.team() + " (" + key + ")").build());
            store.complete(e, rows);
            LOG.info("{} for {} delivered to PagerDuty (team {}, key {}, attempt {})", e.action(), e.dedupKey(), e.team(), key,
                    e.attempts() + 1);
            finish(e.seq(), true);
        } else if (decision instanceof DeliveryPolicy.Rejected r) {
            boolean trigger = e.action().equals("trigger");
            List<Row> rows = new ArrayList<>();
            if (trigger) {
                rows.add(StateRows.state(e.anomalyId(), "trigger-failed-" + e.seq(), outcomeVersion(e), now, "failed")
                        .set("detail", r.reason()).build());
            }
            rows.add(StateRows.audit(now, "outbox-" + e.seq() + "-rejected", e.anomalyId(), e.action() + "_rejected",
                    "pagerduty", "PagerDuty", "bundle").set("detail", r.reason()).build());
            store.complete(e, rows);
            metrics.pagerDutyRejected();
            if (trigger) {
                try {
                    onTriggerRefused.accept(e.anomalyId());
                } catch (RuntimeException ex) {
                    LOG.error("symptoms held back by {} could not be released after its refused trigger: {}; they page when it is "
                            + "resolved", e.anomalyId(), ex.getMessage());
                }
            }
            LOG.error("PAGE NOT DELIVERED: PagerDuty refused the {} for {} (team {}, key {}): {}", e.action(), e.dedupKey(),
                    e.team(), key, r.reason());
            finish(e.seq(), false);
        } else if (decision instanceof DeliveryPolicy.Retry r) {
            long at = System.currentTimeMillis() + r.delay().toMillis();
            store.retryLater(e, at, r.reason());
            retries.add(new Retry(at, e.seq(), e.routingKey()));
            // every attempt at debug only: an outage is logged once by the DependencyState, throttling shows in metrics
            LOG.debug("{} for {} (key {}) not delivered yet: {}; retry {} in {} ms", e.action(), e.dedupKey(), key, r.reason(),
                    e.attempts() + 1, r.delay().toMillis());
        }
    }

    /**
     * The version of a delivery outcome is the moment the event was accepted (just after its 'queued' row), not the
     * moment the answer was recorded: PagerDuty's own later changes (acknowledged, resolved, stamped with its time)
     * must win over our 'sent', however late a busy machine records it.
     */
    static long outcomeVersion(OutboxEvent e) {
        return e.createdAtMillis() * 1000 + 999;
    }

    private void finish(long seq, boolean delivered) {
        CompletableFuture<Boolean> f = waiters.remove(seq);
        if (f != null) {
            f.complete(delivered);
        }
    }

    @Override
    public void close() {
        running = false;
        wake();
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
