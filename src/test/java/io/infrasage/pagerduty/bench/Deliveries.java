package io.infrasage.pagerduty.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.infrasage.pagerduty.sandbox.Incident;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;

/**
 * The verdict on what PagerDuty (the sandbox) received for a set of accepted anomalies: lost, duplicated incidents,
 * order per dedup key, and 429s left unretried.
 */
final class Deliveries {

    final int expected;
    final int lost;
    final int duplicateIncidents;
    final int resentTriggers;
    final int throttled;
    final int throttledUnretried;
    final int resolvesExpected;
    final int resolvesMissing;
    final int orderViolations;
    final int unexpectedlyResolved;
    final int maxPerKeyPerMinute;
    final Instant firstIngested;
    final Instant lastIngested;
    final List<String> examples = new ArrayList<>();

    /**
     * @param triggerKeys dedup keys of every accepted anomaly
     * @param resolveKeys dedup keys whose resolve was accepted (a subset)
     */
    Deliveries(PagerDutySandbox sandbox, Set<String> triggerKeys, Set<String> resolveKeys) {
        List<ReceivedEvent> events = sandbox.events();
        Map<String, Integer> incidents = new HashMap<>();
        Map<String, String> status = new HashMap<>();
        for (Incident i : sandbox.incidents()) {
            if (triggerKeys.contains(i.incidentKey())) {
                incidents.merge(i.incidentKey(), 1, Integer::sum);
                status.put(i.incidentKey(), i.status());
            }
        }
        int lostCount = 0;
        int dupCount = 0;
        for (String key : triggerKeys) {
            int n = incidents.getOrDefault(key, 0);
            if (n == 0) {
                lostCount++;
                example("lost: " + key);
            } else if (n > 1) {
                dupCount++;
                example(n + " incidents for " + key);
            }
        }
        expected = triggerKeys.size();
        lost = lostCount;
        duplicateIncidents = dupCount;

        // per dedup key: indexes of ingested triggers and resolves, in arrival order
        Map<String, List<String>> ingested = new HashMap<>();
        Map<String, Deque<Instant>> perRoutingKey = new HashMap<>();
        int resent = 0;
        int throttledCount = 0;
        int unretried = 0;
        int maxWindow = 0;
        Instant first = null;
        Instant last = null;
        Map<String, Integer> pending429 = new HashMap<>();
        for (ReceivedEvent e : events) {
            if (e.dedupKey() == null || !triggerKeys.contains(e.dedupKey())) {
                continue;
            }
            String slot = e.dedupKey() + " " + e.eventAction();
            if (e.status() == 429) {
                throttledCount++;
                pending429.merge(slot, 1, Integer::sum);
            } else if (e.status() == 202) {
                pending429.remove(slot); // a later 202 for the same key and action: the 429 was retried
                ingested.computeIfAbsent(e.dedupKey(), k -> new ArrayList<>()).add(e.eventAction());
                if (ReceivedEvent.DEDUPLICATED.equals(e.outcome())) {
                    resent++;
                }
                if ("trigger".equals(e.eventAction()) && ReceivedEvent.CREATED.equals(e.outcome())) {
                    first = first == null || e.at().isBefore(first) ? e.at() : first;
                    last = last == null || e.at().isAfter(last) ? e.at() : last;
                }
                Deque<Instant> window = perRoutingKey.computeIfAbsent(e.routingKey(), k -> new ArrayDeque<>());
                window.addLast(e.at());
                while (Duration.between(window.peekFirst(), e.at()).compareTo(Duration.ofMinutes(1)) >= 0) {
                    window.pollFirst();
                }
                maxWindow = Math.max(maxWindow, window.size());
            }
        }
        for (Map.Entry<String, Integer> p : pending429.entrySet()) {
            unretried += p.getValue();
            example("429 never followed by a 202: " + p.getKey());
        }
        resentTriggers = resent;
        throttled = throttledCount;
        throttledUnretried = unretried;
        maxPerKeyPerMinute = maxWindow;
        firstIngested = first;
        lastIngested = last;

        int missing = 0;
        int order = 0;
        int wrongResolve = 0;
        for (String key : triggerKeys) {
            List<String> actions = ingested.getOrDefault(key, List.of());
            int firstResolve = actions.indexOf("resolve");
            int lastTrigger = actions.lastIndexOf("trigger");
            if (resolveKeys.contains(key)) {
                if (firstResolve < 0 || !"resolved".equals(status.get(key))) {
                    missing++;
                    example("resolve not delivered: " + key + " " + actions);
                } else if (lastTrigger > firstResolve || lastTrigger < 0) {
                    order++;
                    example("out of order: " + key + " " + actions);
                }
            } else if (firstResolve >= 0 || "resolved".equals(status.get(key))) {
                wrongResolve++;
                example("resolved without a resolve request: " + key + " " + actions);
            }
        }
        resolvesExpected = resolveKeys.size();
        resolvesMissing = missing;
        orderViolations = order;
        unexpectedlyResolved = wrongResolve;
    }

    private void example(String text) {
        if (examples.size() < 10) {
            examples.add(text);
        }
    }

    boolean clean() {
        return lost == 0 && duplicateIncidents == 0 && throttledUnretried == 0 && resolvesMissing == 0 && orderViolations == 0
                && unexpectedlyResolved == 0;
    }

    void report(Report report) {
        report.figure("accepted anomalies", Integer.toString(expected));
        report.figure("lost (accepted, no incident in PagerDuty)", Integer.toString(lost));
        report.figure("duplicate incidents (more than one incident for a dedup key)", Integer.toString(duplicateIncidents));
        report.figure("triggers sent again and deduplicated by PagerDuty (at-least-once resends, no new page)",
                Integer.toString(resentTriggers));
        if (resolvesExpected > 0) {
            report.figure("resolves accepted / not delivered", resolvesExpected + " / " + resolvesMissing);
            report.figure("order violations (a trigger ingested after the resolve of its key)", Integer.toString(orderViolations));
        }
        report.figure("resolved without a resolve request", Integer.toString(unexpectedlyResolved));
        report.figure("429 answers / left unretried", throttled + " / " + throttledUnretried);
        report.figure("most events ingested for one routing key in any 60 s", Integer.toString(maxPerKeyPerMinute));
        if (!examples.isEmpty()) {
            report.note("Examples: " + String.join("; ", examples));
        }
    }
}
