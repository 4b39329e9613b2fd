package io.infrasage.pagerduty.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;

/**
 * When the sandbox first ingested (202) a trigger for each correlation key, read incrementally from its Java API (the
 * sandbox runs in this JVM, so no HTTP and no JSON on the way: cheap even for tens of thousands of events).
 */
public final class SandboxWatch {

    private final PagerDutySandbox sandbox;
    private final Function<ReceivedEvent, String> key;
    private final Map<String, Long> firstTrigger = new HashMap<>();
    private int seen;

    /** @param key the correlation key of an event (e.g. its dedup key), or null for events of no interest */
    public SandboxWatch(PagerDutySandbox sandbox, Function<ReceivedEvent, String> key) {
        this.sandbox = sandbox;
        this.key = key;
    }

    /** By dedup key, for the bundle's events. */
    public static SandboxWatch byDedupKey(PagerDutySandbox sandbox, String prefix) {
        return new SandboxWatch(sandbox, e -> e.dedupKey() != null && e.dedupKey().startsWith(prefix) ? e.dedupKey() : null);
    }

    /** By payload.summary, for Alertmanager's events (its dedup key is a hash of the group key). */
    public static SandboxWatch bySummary(PagerDutySandbox sandbox, String prefix) {
        return new SandboxWatch(sandbox, e -> {
            String s = e.body() == null ? null : e.body().path("payload").path("summary").asText(null);
            return s != null && s.startsWith(prefix) ? s : null;
        });
    }

    public synchronized void poll() {
        List<ReceivedEvent> events = sandbox.events();
        for (int i = seen; i < events.size(); i++) {
            ReceivedEvent e = events.get(i);
            if (e.status() == 202 && "trigger".equals(e.eventAction())) {
                String k = key.apply(e);
                if (k != null) {
                    firstTrigger.putIfAbsent(k, BenchClock.fromWall(e.at()));
                }
            }
        }
        seen = events.size();
    }

    /** BenchClock nanos when the trigger for this key was first ingested, or null. */
    public synchronized Long receivedAt(String k) {
        return firstTrigger.get(k);
    }

    public synchronized int countOf(Set<String> keys) {
        int n = 0;
        for (String k : keys) {
            if (firstTrigger.containsKey(k)) {
                n++;
            }
        }
        return n;
    }

    /** Polls until every key was received or the timeout passed; returns how many were received. */
    public int awaitAll(Set<String> keys, long timeoutMillis) {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            poll();
            int n = countOf(keys);
            if (n == keys.size() || System.currentTimeMillis() > deadline) {
                return n;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return n;
            }
        }
    }
}
