package io.infrasage.pagerduty.bench;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.infrasage.pagerduty.sandbox.PagerDutySandbox;

/** What the benchmark sends: anomalies for N services (one routing key each) and signed PagerDuty v3 webhooks. */
public final class Workload {

    private static final DateTimeFormatter MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private Workload() {
    }

    public static List<String> services(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Stats.f("svc-%02d", i));
        }
        return out;
    }

    /** 32-character integration keys, one per service (the sandbox checks the length, as PagerDuty does). */
    public static List<String> routingKeys(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Stats.f("bench-service-key-%02d", i) + "0".repeat(12));
        }
        return out;
    }

    /** PAGERDUTY_ROUTING_RULES: service svc-NN pages team-NN with key NN. */
    public static String routingRules(int n) {
        List<String> services = services(n);
        List<String> keys = routingKeys(n);
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            json.append(i == 0 ? "" : ",").append("{\"service_pattern\":\"").append(services.get(i))
                    .append("\",\"service_key\":\"").append(keys.get(i)).append("\",\"team\":\"")
                    .append(Stats.f("team-%02d", i)).append("\"}");
        }
        return json.append(']').toString();
    }

    /** The seed's example anomaly, with its own id and service. */
    public static byte[] anomaly(String anomalyId, String service) {
        return ("{\"anomaly_id\":\"" + anomalyId + "\",\"service\":\"" + service + "\",\"metric\":\"CPU\",\"value\":87,"
                + "\"unit\":\"%\",\"score\":0.93,\"root_cause\":\"CPU saturation from DB connection pool exhaustion\","
                + "\"blast_radius\":[\"user-service\",\"checkout-service\"],\"suggested_actions\":[\"Scale to 5 pods\","
                + "\"Restart pods\"],\"rca_confidence\":0.92,\"environment\":\"production\","
                + "\"infrasage_url\":\"https://infrasage.mycompany.com/incidents/" + anomalyId + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** A JSON array of the given JSON values: a batch of anomalies, or the alerts of one Alertmanager POST. */
    public static byte[] jsonArray(List<byte[]> values) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(values.stream().mapToInt(v -> v.length + 1).sum() + 2);
        out.write('[');
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.writeBytes(values.get(i));
        }
        out.write(']');
        return out.toByteArray();
    }

    public static String dedupKey(String anomalyId) {
        return "infrasage-" + anomalyId;
    }

    /**
     * A PagerDuty Webhooks v3 delivery about an InfraSage incident, shaped like the sandbox's (and PagerDuty's)
     * incident data, signed with {@code secret} exactly as PagerDuty signs: v1=hex(HMAC-SHA256(secret, body)).
     */
    public record SignedWebhook(byte[] body, Map<String, String> headers) {
    }

    public static SignedWebhook webhook(String eventId, String eventType, String incidentId, int number, String anomalyId,
                                        String status, String secret) {
        String root = "https://bench.pagerduty.invalid";
        String now = MILLIS.format(Instant.now());
        String user = "{\"id\":\"PUSR001\",\"summary\":\"Alice Example\",\"type\":\"user_reference\",\"html_url\":\""
                + root + "/users/PUSR001\",\"self\":\"" + root + "/users/PUSR001\"}";
        String assignee = eventType.equals("incident.reassigned")
                ? "{\"id\":\"PUSR002\",\"summary\":\"Bob Example\",\"type\":\"user_reference\",\"html_url\":\"" + root
                + "/users/PUSR002\",\"self\":\"" + root + "/users/PUSR002\"}" : user;
        String body = "{\"event\":{\"id\":\"" + eventId + "\",\"event_type\":\"" + eventType + "\",\"resource_type\":\"incident\","
                + "\"occurred_at\":\"" + now + "\",\"agent\":" + user + ",\"client\":null,\"data\":{\"id\":\"" + incidentId
                + "\",\"type\":\"incident\",\"summary\":\"[#" + number + "] CPU saturation on payment-api\",\"self\":\"" + root
                + "/incidents/" + incidentId + "\",\"html_url\":\"" + root + "/incidents/" + incidentId + "\",\"number\":" + number
                + ",\"status\":\"" + status + "\",\"title\":\"CPU saturation on payment-api\",\"urgency\":\"high\","
                + "\"incident_key\":\"" + dedupKey(anomalyId) + "\",\"created_at\":\"" + now.substring(0, 19) + "Z\","
                + "\"service\":{\"id\":\"PSVC001\",\"summary\":\"Payments\",\"type\":\"service_reference\",\"html_url\":\""
                + root + "/service-directory/PSVC001\",\"self\":\"" + root + "/services/PSVC001\"},\"assignees\":[" + assignee
                + "],\"escalation_policy\":{\"id\":\"PESC001\",\"summary\":\"Payments on call\",\"type\":"
                + "\"escalation_policy_reference\",\"html_url\":\"" + root + "/escalation_policies/PESC001\",\"self\":\"" + root
                + "/escalation_policies/PESC001\"},\"teams\":[],\"priority\":null,\"conference_bridge\":null,"
                + "\"resolve_reason\":null}}}";
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("User-Agent", "PagerDuty-Webhook/V3.0");
        headers.put("X-Webhook-Id", UUID.randomUUID().toString());
        headers.put("X-Webhook-Subscription", "PSUBBENCH");
        headers.put("X-PagerDuty-Signature", PagerDutySandbox.webhookSignature(body, List.of(secret)));
        return new SignedWebhook(body.getBytes(StandardCharsets.UTF_8), headers);
    }
}
