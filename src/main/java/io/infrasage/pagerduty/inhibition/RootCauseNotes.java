package io.infrasage.pagerduty.inhibition;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.infrasage.pagerduty.rest.PagerDutyApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the root cause's incident which symptoms it held back: "also affected: checkout-api (anom-9, 0.85)". Lines are
 * collected per root cause and posted by a timer (routes/symptom-inhibition.camel.yaml) as one note per incident and
 * round, at most {@link #NOTES_PER_ROUND} notes a round, so a storm of symptoms costs a few REST calls, far below
 * PagerDuty's ~960 per minute. Notes are a courtesy to the responder: the inhibition itself is recorded durably in state
 * and audit; pending lines live in memory and are lost with the process.
 */
public final class RootCauseNotes {

    private static final Logger LOG = LoggerFactory.getLogger(RootCauseNotes.class);
    /** Each note costs two REST calls (find the incident, write the note). */
    static final int NOTES_PER_ROUND = 20;
    /** Rounds a root cause waits for its incident to appear (its trigger may still be queued) before its lines go. */
    static final int ROUNDS_BEFORE_GIVING_UP = 60;
    /** Bound on lines waiting, so a REST outage during a storm cannot exhaust memory. */
    static final int MAX_PENDING_LINES = 10_000;

    private final PagerDutyApi api;
    private final Map<String, Pending> pending = new LinkedHashMap<>();
    private int pendingLines;

    private static final class Pending {
        final String dedupKey;
        final List<String> lines = new ArrayList<>();
        int rounds;

        Pending(String dedupKey) {
            this.dedupKey = dedupKey;
        }
    }

    public RootCauseNotes(PagerDutyApi api) {
        this.api = api;
    }

    public boolean enabled() {
        return api.canWrite();
    }

    /** A symptom was held back by the root cause with this dedup key; its line goes out with the next round. */
    public synchronized void alsoAffected(String rootCauseId, String rootDedupKey, String service, String anomalyId, double score) {
        if (!enabled()) {
            return;
        }
        if (pendingLines >= MAX_PENDING_LINES) {
            LOG.warn("root-cause note for {} not kept: {} lines already wait for PagerDuty's REST API", rootCauseId, pendingLines);
            return;
        }
        pending.computeIfAbsent(rootCauseId, id -> new Pending(rootDedupKey)).lines
                .add("also affected: " + service + " (" + anomalyId + ", " + score + ")");
        pendingLines++;
    }

    /** One round: a note per root cause whose incident PagerDuty lists, at most NOTES_PER_ROUND. */
    public void flush() {
        List<Map.Entry<String, Pending>> round;
        synchronized (this) {
            round = pending.entrySet().stream().limit(NOTES_PER_ROUND).map(e -> Map.entry(e.getKey(), e.getValue())).toList();
        }
        for (Map.Entry<String, Pending> e : round) {
            Pending p = e.getValue();
            List<String> lines;
            synchronized (this) {
                lines = List.copyOf(p.lines);
            }
            try {
                JsonNode incidents = api.incidents(Map.of("incident_key", List.of(p.dedupKey))).path("incidents");
                if (incidents.isEmpty()) {
                    giveUpOrWait(e.getKey(), p);
                    continue;
                }
                api.addNote(incidents.get(0).path("id").asText(), String.join("\n", lines));
                synchronized (this) {
                    p.lines.subList(0, lines.size()).clear();
                    pendingLines -= lines.size();
                    if (p.lines.isEmpty()) {
                        pending.remove(e.getKey());
                    }
                }
            } catch (PagerDutyApi.PagerDutyApiException ex) {
                LOG.warn("root-cause note for {} not written yet ({}); next round", e.getKey(), ex.getMessage());
                return; // PagerDuty throttles or is away: the rest waits for the next round too
            }
        }
    }

    private synchronized void giveUpOrWait(String rootCauseId, Pending p) {
        if (++p.rounds >= ROUNDS_BEFORE_GIVING_UP) {
            LOG.warn("no PagerDuty incident for root cause {} after {} rounds: its note is dropped ({})", rootCauseId,
                    p.rounds, String.join("; ", p.lines));
            pendingLines -= p.lines.size();
            pending.remove(rootCauseId);
        }
    }
}
