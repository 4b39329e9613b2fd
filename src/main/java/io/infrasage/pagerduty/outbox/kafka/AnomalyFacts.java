package io.infrasage.pagerduty.outbox.kafka;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.anomaly.RoutingTarget;

/**
 * The facts about an anomaly kept in the anomalies topic, each under its own key so that no write can undo another:
 * facts only ever get added, and the first of each kind wins when two instances write one at the same moment.
 */
final class AnomalyFacts {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AnomalyFacts() {
    }

    /**
     * Accepted: the trigger went to these targets. With symptom inhibition also the service and its blast radius (so
     * it can be found as a root cause), and the root cause holding its triggers back, if any.
     */
    record Accepted(String dedupKey, List<RoutingTarget> targets, String severity, long at, String service,
                    List<String> blastRadius, String inhibitedBy) {
        Accepted(String dedupKey, List<RoutingTarget> targets, String severity, long at) {
            this(dedupKey, targets, severity, at, null, List.of(), null);
        }
    }

    /** One trigger held back by symptom inhibition, for one routing key: queued when its root cause is resolved. */
    record Held(String routingKey, String team, String action, String body) {
    }

    /** Resolved, by whom and which kind of resolver (runbook, engineer, merged, pagerduty). */
    record Resolution(String by, String kind, long at) {
    }

    static String acceptedKey(String anomalyId) {
        return "a/" + anomalyId;
    }

    static String resolutionKey(String anomalyId) {
        return "r/" + anomalyId;
    }

    /** A held trigger of a symptom, one per routing key (hashed: the key itself is a secret). */
    static String heldKey(String anomalyId, String routingKey) {
        return "h/" + anomalyId + "/" + keyHash(routingKey);
    }

    /** The held triggers of a symptom were queued (its root cause was resolved) or dropped (it was resolved first). */
    static String releasedKey(String anomalyId) {
        return "x/" + anomalyId;
    }

    /** PagerDuty refused a trigger of this anomaly for good: it holds no symptom back. */
    static String refusedKey(String anomalyId) {
        return "n/" + anomalyId;
    }

    /** The anomaly id inside a fact key: after the kind's "k/", before any "/" + key hash. */
    static String anomalyIdOf(String key) {
        String rest = key.substring(2);
        char kind = key.charAt(0);
        return kind == 'd' || kind == 'h' ? rest.substring(0, rest.lastIndexOf('/')) : rest;
    }

    /** The resolve reached this routing key: a trigger for it must never be sent again. The key itself is a secret. */
    static String resolveDeliveredKey(String anomalyId, String routingKey) {
        return "d/" + anomalyId + "/" + keyHash(routingKey);
    }

    private static String keyHash(String routingKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(routingKey.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String write(Accepted a) {
        Map<String, Object> m = new LinkedHashMap<>(Map.of("dedup_key", a.dedupKey(),
                "severity", a.severity() == null ? "" : a.severity(), "at", a.at(),
                "targets", a.targets().stream().map(t -> Map.of("team", t.team(), "routing_key", t.routingKey())).toList()));
        if (a.service() != null) {
            m.put("service", a.service());
            m.put("blast_radius", a.blastRadius());
        }
        if (a.inhibitedBy() != null) {
            m.put("inhibited_by", a.inhibitedBy());
        }
        return json(m);
    }

    static String write(Held h) {
        return json(Map.of("routing_key", h.routingKey(), "team", h.team(), "action", h.action(), "body", h.body()));
    }

    static Held readHeld(String value) {
        try {
            Map<String, String> m = JSON.readValue(value, new TypeReference<>() { });
            return new Held(m.get("routing_key"), m.get("team"), m.get("action"), m.get("body"));
        } catch (Exception e) {
            throw new IllegalStateException("unreadable held trigger: " + e.getMessage(), e);
        }
    }

    static String write(Resolution r) {
        return json(Map.of("by", r.by() == null ? "" : r.by(), "kind", r.kind(), "at", r.at()));
    }

    static Accepted readAccepted(String value) {
        try {
            Map<String, Object> m = JSON.readValue(value, new TypeReference<>() { });
            @SuppressWarnings("unchecked")
            List<Map<String, String>> targets = (List<Map<String, String>>) m.get("targets");
            String severity = (String) m.get("severity");
            @SuppressWarnings("unchecked")
            List<String> blastRadius = (List<String>) m.getOrDefault("blast_radius", List.of());
            return new Accepted((String) m.get("dedup_key"), targets.stream().map(t -> new RoutingTarget(t.get("team"), t.get("routing_key"))).toList(),
                    severity == null || severity.isEmpty() ? null : severity, ((Number) m.get("at")).longValue(),
                    (String) m.get("service"), blastRadius, (String) m.get("inhibited_by"));
        } catch (Exception e) {
            throw new IllegalStateException("unreadable anomaly record: " + e.getMessage(), e);
        }
    }

    static Resolution readResolution(String value) {
        try {
            Map<String, Object> m = JSON.readValue(value, new TypeReference<>() { });
            String by = (String) m.get("by");
            return new Resolution(by == null || by.isEmpty() ? null : by, (String) m.get("kind"), ((Number) m.get("at")).longValue());
        } catch (Exception e) {
            throw new IllegalStateException("unreadable anomaly record: " + e.getMessage(), e);
        }
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
