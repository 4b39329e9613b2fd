package io.infrasage.pagerduty.outbox;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.infrasage.pagerduty.tracing.Traceparent;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the outbox's due events to the route, one exchange per attempt. Per (dedup key, routing key) only the oldest
 * event is ever in flight, so a resolve never overtakes its trigger; each routing key keeps its {@link RoutingKeyPace}.
 * After the route, the exchange's {@link DeliveryOutcome} completes or reschedules the event. Polls run on a scheduled
 * executor and sends on a thread pool, both from Camel's ExecutorServiceManager.
 */
public final class OutboxConsumer extends DefaultConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxConsumer.class);
    /** The event's identity on each attempt's exchange; "Camel" names are never sent as HTTP headers. */
    public static final String ANOMALY_ID = "CamelOutboxAnomalyId";
    public static final String DEDUP_KEY = "CamelOutboxDedupKey";
    public static final String ROUTING_KEY = "CamelOutboxRoutingKey";
    /** trigger, acknowledge, resolve or change */
    public static final String ACTION = "CamelOutboxAction";
    /** 1 for the first attempt */
    public static final String ATTEMPT = "CamelOutboxAttempt";
    /** How long the event's routing key had been held back by its pace when the event was handed out. */
    public static final String PACE_WAIT_MILLIS = "CamelOutboxPaceWaitMillis";
    private static final long IDLE_POLL_MILLIS = 1000;
    private static final long PRUNE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final OutboxComponent parts;
    private final Outbox store;
    private final InFlightEvents inFlight = new InFlightEvents();
    /** Events handed to the senders and not finished beyond which a poll is skipped: they have a full round queued. */
    private final int backlog;
    private final AtomicBoolean woken = new AtomicBoolean();
    private ScheduledExecutorService poller;
    private ExecutorService senders;
    /** The next timed poll; only the poller's thread touches it. */
    private ScheduledFuture<?> nextPoll;
    private long recheckAt;
    private long lastPrune;
    private long rounds;

    OutboxConsumer(OutboxEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.parts = endpoint.getComponent();
        this.store = parts.store;
        this.backlog = 2 * parts.senders;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        ExecutorServiceManager executors = getEndpoint().getCamelContext().getExecutorServiceManager();
        poller = executors.newSingleThreadScheduledExecutor(this, "outbox-poll");
        senders = executors.newFixedThreadPool(this, "pagerduty-sender", parts.senders);
        parts.deliveries.wakeWith(this::wake);
        wake();
    }

    @Override
    protected void doStop() throws Exception {
        parts.deliveries.wakeWith(() -> { });
        ExecutorServiceManager executors = getEndpoint().getCamelContext().getExecutorServiceManager();
        // a start that failed before this consumer's turn (Kafka away) stops it without its threads
        if (poller != null) {
            executors.shutdownNow(poller);
        }
        if (senders != null) {
            executors.shutdownGraceful(senders, TimeUnit.SECONDS.toMillis(5));
        }
        super.doStop();
    }

    /** Polls now, after the poll under way if there is one; wakes while one is queued add nothing. */
    private void wake() {
        if (woken.compareAndSet(false, true)) {
            try {
                poller.execute(this::poll);
            } catch (RejectedExecutionException stopping) {
                woken.set(false);
            }
        }
    }

    private void poll() {
        woken.set(false);
        long nextWake = System.currentTimeMillis() + IDLE_POLL_MILLIS;
        try {
            nextWake = pollKeys(nextWake);
        } catch (RuntimeException ex) {
            LOG.error("outbox poll failed: {}", ex.getMessage());
        } finally {
            if (nextPoll != null) {
                nextPoll.cancel(false);
            }
            if (!poller.isShutdown()) {
                nextPoll = poller.schedule(this::poll, Math.max(0, nextWake - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * Polls the outbox one routing key at a time, and only the keys that may have due events and have a token: a key
     * held back by PagerDuty's rate limit costs no query until its next token, and its backlog never hides another
     * key's events (a storm on one key never delays another team's page). Returns when to poll again.
     */
    private long pollKeys(long nextWake) {
        long now = System.currentTimeMillis();
        long snapshotAt = System.nanoTime();
        if (snapshotAt - lastPrune > PRUNE_EVERY_NANOS) {
            inFlight.prune(snapshotAt);
            parts.settlement.prune(now);
            lastPrune = snapshotAt;
        }
        if (now >= recheckAt) {
            // once a second every key is looked at: events queued before a restart, anything overlooked
            store.dueKeys().activateAll();
            recheckAt = now + IDLE_POLL_MILLIS;
        }
        // fair to every key: each poll starts one key further, and a key takes at most its share of the room
        List<Map.Entry<String, Long>> keys = new ArrayList<>(store.dueKeys().active().entrySet());
        if (!keys.isEmpty()) {
            Collections.rotate(keys, (int) (rounds++ % keys.size()));
        }
        for (int i = 0; i < keys.size(); i++) {
            int room = backlog - inFlight.size();
            if (room <= 0) {
                // the senders have a full round queued; the keys stay active. A finishing delivery wakes us.
                break;
            }
            int share = Math.max(1, room / (keys.size() - i));
            nextWake = Math.min(nextWake, pollKey(keys.get(i).getKey(), keys.get(i).getValue(), share, now, snapshotAt));
        }
        return Math.min(nextWake, recheckAt);
    }

    /** Hands the due heads of one routing key to the senders, as many as its pace allows; returns when to look again. */
    private long pollKey(String routingKey, long version, int share, long now, long snapshotAt) {
        long tokens = parts.pace.available(routingKey, now);
        if (tokens < 1) {
            return now + parts.pace.millisToNext(routingKey, now);
        }
        int wanted = (int) Math.min(tokens, share);
        // heads already in flight are read again and skipped: ask for that many more
        int limit = wanted + inFlight.of(routingKey);
        List<OutboxEvent> heads = store.dueHeads(routingKey, now, limit);
        boolean more = heads.size() >= limit;
        int handed = 0;
        for (OutboxEvent e : heads) {
            if (inFlight.busy(e, snapshotAt) || parts.settlement.waiting(e, now)) {
                continue; // its outcome touches the key again, or a Retry entry polls the key when it is due
            }
            if (handed >= wanted || inFlight.size() >= backlog) {
                more = true;
                break;
            }
            handed++;
            Optional<DeliveryPolicy.Decision> known = parts.settlement.known(e);
            if (known.isEmpty()) {
                long wait = parts.pace.take(routingKey, now);
                if (wait > 0) {
                    return now + wait;
                }
            }
            inFlight.add(e);
            store.sending(e);
            long paceWait = Math.min(parts.pace.heldFor(routingKey, now), Math.max(0, now - e.createdAtMillis()));
            // PagerDuty answered it already (delivered or refused for good): only its outcome is written, nothing sent
            try {
                senders.execute(known.isPresent() ? () -> settle(e, known.get()) : () -> send(e, paceWait));
            } catch (RejectedExecutionException stopping) {
                inFlight.done(e);
                if (known.isEmpty()) {
                    parts.pace.answered(routingKey, now);
                }
                return Long.MAX_VALUE;
            }
        }
        if (!more) {
            store.dueKeys().drained(routingKey, version);
        }
        return Long.MAX_VALUE;
    }

    /** One attempt: the route calls PagerDuty and its outcome step decides; a route that threw before it had no answer. */
    private void send(OutboxEvent e, long paceWaitMillis) {
        Exchange exchange = attempt(e, parts.settlement.attemptsBefore(e) + 1, paceWaitMillis);
        DeliveryPolicy.Decision decision = null;
        try {
            try {
                getProcessor().process(exchange);
            } catch (Exception ex) {
                exchange.setException(ex);
            }
            if (exchange.getProperty(DeliveryOutcome.DECISION) == null) {
                parts.outcome.record(exchange);
            }
            decision = exchange.getProperty(DeliveryOutcome.DECISION, DeliveryPolicy.Decision.class);
        } finally {
            parts.pace.answered(e.routingKey(), System.currentTimeMillis());
            releaseExchange(exchange, false);
            settle(e, decision);
        }
    }

    /** Every attempt's exchange: the event's JSON as its body and its identity as headers, for the route's steps. */
    private Exchange attempt(OutboxEvent e, int attempt, long paceWaitMillis) {
        Exchange exchange = createExchange(false);
        Message m = exchange.getIn();
        m.setBody(e.body());
        m.setHeader(DEDUP_KEY, e.dedupKey());
        m.setHeader(ROUTING_KEY, e.routingKey());
        m.setHeader(ACTION, e.action());
        m.setHeader(ATTEMPT, attempt);
        m.setHeader(PACE_WAIT_MILLIS, paceWaitMillis);
        m.setHeader(ANOMALY_ID, e.anomalyId());
        // Camel's tracer starts the attempt's span in the trace of the request that queued the event
        m.setHeader(Traceparent.HEADER, e.traceparent());
        return exchange;
    }

    /** @param decision null only when deciding failed: nothing is recorded and the event is polled again */
    private void settle(OutboxEvent e, DeliveryPolicy.Decision decision) {
        try {
            long dueAt = decision == null ? -1 : parts.settlement.settle(e, decision);
            if (dueAt >= 0) {
                pollAgainAt(e.routingKey(), dueAt);
            }
        } finally {
            inFlight.done(e);
            // one poll per half a round of senders, not one per delivery: each poll is a query of the outbox
            if (inFlight.size() <= backlog / 2) {
                wake();
            }
        }
    }

    /** A retry: its routing key is polled again when the event is due (a stopping consumer leaves that to its restart). */
    private void pollAgainAt(String routingKey, long atMillis) {
        try {
            poller.schedule(() -> {
                store.dueKeys().activate(routingKey);
                wake();
            }, Math.max(0, atMillis - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            // every key is polled when the consumer starts again
        }
    }
}
