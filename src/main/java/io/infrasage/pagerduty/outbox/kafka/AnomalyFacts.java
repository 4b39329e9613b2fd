package io.infrasage.pagerduty.outbox.kafka;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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

    /** Accepted: the trigger went to these targets. */
    record Accepted(String dedupKey, List<RoutingTarget> targets, String severity, long at) {
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

    /** The resolve reached this routing key: a trigger for it must never be sent again. The key itself is a secret. */
    static String resolveDeliveredKey(String anomalyId, String routingKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(routingKey.getBytes(StandardCharsets.UTF_8));
            return "d/" + anomalyId + "/" + HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String write(Accepted a) {
        return json(Map.of("dedup_key", a.dedupKey(), "severity", a.severity() == null ? "" : a.severity(), "at", a.at(),
                "targets", a.targets().stream().map(t -> Map.of("team", t.team(), "routing_key", t.routingKey())).toList()));
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
            return new Accepted((String) m.get("dedup_key"), targets.stream().map(t -> new RoutingTarget(t.get("team"), t.get("routing_key"))).toList(),
                    severity == null || severity.isEmpty() ? null : severity, ((Number) m.get("at")).longValue());
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
