package io.infrasage.pagerduty.anomaly;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * PAGERDUTY_ROUTING_RULES, in the seed's JSON form: [{"service_pattern": "payment-*", "service_key": "..."}, ...].
 * Patterns are globs ({@link ServiceGlob}: *, ?, [a-z], [!a-z], {a,b}), matched on the name as text. The first matching rule wins; a rule with
 * "continue": true also lets the rules after it add their teams (fan-out). PAGERDUTY_SERVICE_KEY is the fallback when
 * no rule matches. Optional "team" names the team in answers and in ClickHouse (keys themselves are never shown);
 * "inhibit": false pages the rule's team even for a symptom of a root cause already paged (symptom inhibition).
 */
public final class RoutingRules {

    /** PagerDuty Events API v2 integration keys are 32 characters; anything else would be refused at the first page. */
    static final int ROUTING_KEY_LENGTH = 32;
    private static final Set<String> FIELDS = Set.of("service_pattern", "service_key", "continue", "team", "inhibit");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Rule> rules;
    private final RoutingTarget fallback;

    private RoutingRules(List<Rule> rules, RoutingTarget fallback) {
        this.rules = List.copyOf(rules);
        this.fallback = fallback;
    }

    public static RoutingRules none() {
        return new RoutingRules(List.of(), null);
    }

    /**
     * @param json        the rules, or blank for none
     * @param fallbackKey PAGERDUTY_SERVICE_KEY, or null
     * @throws IllegalArgumentException naming every problem
     */
    public static RoutingRules parse(String json, String fallbackKey) {
        List<String> problems = new ArrayList<>();
        List<Rule> rules = new ArrayList<>();
        if (json != null && !json.isBlank()) {
            JsonNode root;
            try {
                root = JSON.readTree(json);
            } catch (Exception e) {
                // Jackson's message quotes the offending token, which can be an unquoted integration key: give the
                // position only, never the text (this setting is a secret).
                JsonLocation at = e instanceof JsonProcessingException jpe ? jpe.getLocation() : null;
                throw new IllegalArgumentException("is not valid JSON" + (at == null ? ""
                        : " (at line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
            }
            if (root == null || !root.isArray()) {
                throw new IllegalArgumentException("must be a JSON array of {\"service_pattern\", \"service_key\"} rules");
            }
            for (int i = 0; i < root.size(); i++) {
                Rule rule = rule(root.get(i), i + 1, problems);
                if (rule != null) {
                    rules.add(rule);
                }
            }
        }
        RoutingTarget fallback = null;
        if (fallbackKey != null && !fallbackKey.isBlank()) {
            String key = fallbackKey.trim();
            if (key.length() != ROUTING_KEY_LENGTH) {
                problems.add("fallback PAGERDUTY_SERVICE_KEY has " + key.length() + " characters; PagerDuty integration keys have "
                        + ROUTING_KEY_LENGTH);
            }
            fallback = new RoutingTarget("default", key);
        }
        boolean catchAll = rules.stream().anyMatch(r -> r.glob.matchesEverything());
        if (fallback == null && !catchAll) {
            problems.add("no rule matches every service and PAGERDUTY_SERVICE_KEY is empty: anomalies of unmatched services "
                    + "would have nowhere to page (add {\"service_pattern\": \"*\", ...} or set PAGERDUTY_SERVICE_KEY)");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return new RoutingRules(rules, fallback);
    }

    private static Rule rule(JsonNode node, int n, List<String> problems) {
        if (node == null || !node.isObject()) {
            problems.add("rule " + n + " is not an object");
            return null;
        }
        node.fieldNames().forEachRemaining(f -> {
            if (!FIELDS.contains(f)) {
                problems.add("rule " + n + " has unknown field '" + f + "' (known: service_pattern, service_key, continue, team, inhibit)");
            }
        });
        String pattern = text(node, "service_pattern");
        String key = text(node, "service_key");
        int before = problems.size();
        if (pattern == null || pattern.isBlank()) {
            problems.add("rule " + n + " has no service_pattern");
        }
        if (key == null || key.isBlank()) {
            problems.add("rule " + n + " has no service_key");
        } else if (key.trim().length() != ROUTING_KEY_LENGTH) {
            problems.add("rule " + n + " (" + pattern + ") service_key has " + key.trim().length()
                    + " characters; PagerDuty integration keys have " + ROUTING_KEY_LENGTH);
        }
        JsonNode cont = node.get("continue");
        if (cont != null && !cont.isBoolean()) {
            problems.add("rule " + n + " 'continue' must be true or false");
        }
        JsonNode inhibit = node.get("inhibit");
        if (inhibit != null && !inhibit.isBoolean()) {
            problems.add("rule " + n + " 'inhibit' must be true or false");
        }
        ServiceGlob glob = null;
        if (pattern != null && !pattern.isBlank()) {
            try {
                glob = ServiceGlob.compile(pattern);
            } catch (IllegalArgumentException e) {
                problems.add("rule " + n + " service_pattern '" + pattern + "' is not a valid glob: " + e.getMessage());
            }
        }
        if (problems.size() > before) {
            return null;
        }
        String team = text(node, "team");
        return new Rule(glob, new RoutingTarget(team == null || team.isBlank() ? pattern : team, key.trim()),
                cont != null && cont.asBoolean(), inhibit == null || inhibit.asBoolean());
    }

    /** The route's step: the anomaly bound by type, so no expression is evaluated per exchange to pick its service. */
    public List<RoutingTarget> targetsOf(Anomaly anomaly) {
        return targetsFor(anomaly.service());
    }

    /** The teams an anomaly of this service pages, in rule order, each routing key once. */
    public List<RoutingTarget> targetsFor(String service) {
        Map<String, RoutingTarget> byKey = new LinkedHashMap<>();
        for (Rule rule : rules) {
            if (rule.matches(service)) {
                byKey.putIfAbsent(rule.target.routingKey(), rule.target);
                if (!rule.continueMatching) {
                    break;
                }
            }
        }
        if (byKey.isEmpty() && fallback != null) {
            byKey.put(fallback.routingKey(), fallback);
        }
        return List.copyOf(byKey.values());
    }

    /**
     * The routing keys among this service's targets whose rule says {@code "inhibit": false}: their team wants to be
     * paged for the service even while another service's root cause is paged (symptom inhibition).
     */
    public Set<String> neverInhibited(String service) {
        Set<String> keys = new HashSet<>();
        for (Rule rule : rules) {
            if (rule.matches(service)) {
                if (!rule.inhibit) {
                    keys.add(rule.target.routingKey());
                }
                if (!rule.continueMatching) {
                    break;
                }
            }
        }
        return keys;
    }

    public int size() {
        return rules.size();
    }

    /** The distinct routing keys of the rules and the fallback: each pages one PagerDuty service. */
    public Set<String> routingKeys() {
        Set<String> keys = new HashSet<>();
        rules.forEach(rule -> keys.add(rule.target.routingKey()));
        if (fallback != null) {
            keys.add(fallback.routingKey());
        }
        return keys;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private record Rule(ServiceGlob glob, RoutingTarget target, boolean continueMatching, boolean inhibit) {
        boolean matches(String service) {
            return glob.matches(service);
        }
    }
}
