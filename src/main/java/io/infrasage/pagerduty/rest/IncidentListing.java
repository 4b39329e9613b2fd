package io.infrasage.pagerduty.rest;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.infrasage.pagerduty.clickhouse.PersistenceUnavailableException;
import io.infrasage.pagerduty.clickhouse.StateQueries;
import io.infrasage.pagerduty.http.InvalidRequestException;
import io.infrasage.pagerduty.memory.PageMemoryRows;

/**
 * The seed's "Verification", made convenient: the incidents the bundle created (incident_key infrasage-...), read
 * through PagerDuty's REST API and joined with the anomaly state in ClickHouse.
 */
public final class IncidentListing {

    static final Set<String> STATUSES = Set.of("triggered", "acknowledged", "resolved");
    /** PagerDuty pages by 100 and refuses offset + limit over 10,000; we stop well before. */
    static final int PAGE = 100;
    static final int MAX_INCIDENTS = 1000;
    private static final String PREFIX = "infrasage-";

    private final PagerDutyApi api;
    private final BundleServices services;
    private final StateQueries queries;
    private final String pageMemoryTable;

    /**
     * @param api             the REST API with the share reserved for verification and the sync
     * @param pageMemoryTable the database-qualified page_memory table
     */
    public IncidentListing(PagerDutyApi api, BundleServices services, StateQueries queries, String pageMemoryTable) {
        this.api = api;
        this.services = services;
        this.queries = queries;
        this.pageMemoryTable = pageMemoryTable;
    }

    /** @param status the status query parameter: absent (null), one value, or a list when repeated (?status=a&status=b) */
    public Map<String, Object> list(Object status) {
        List<String> statuses = statuses(status);
        if (!api.enabled()) {
            throw new InvalidRequestException(503, "verification unavailable",
                    List.of("set PAGERDUTY_API_TOKEN (a read-only REST API key) to list incidents from PagerDuty"));
        }
        List<JsonNode> incidents = new ArrayList<>();
        boolean truncated = false;
        Map<String, List<String>> query = new LinkedHashMap<>();
        query.put("statuses[]", statuses);
        query.put("limit", List.of(Integer.toString(PAGE)));
        // the bundle's own services once all are known: other teams' incidents cost no pages
        services.listingFilter().ifPresent(ids -> query.put("service_ids[]", ids));
        for (int offset = 0; ; offset += PAGE) {
            JsonNode page;
            try {
                Map<String, List<String>> pageQuery = new LinkedHashMap<>(query);
                pageQuery.put("offset", List.of(Integer.toString(offset)));
                page = api.incidents(pageQuery);
            } catch (PagerDutyApi.OverBudget e) {
                throw new InvalidRequestException(503, "PagerDuty REST budget used up",
                        List.of("the token's requests for this minute are spent; retry in a few seconds"));
            } catch (PagerDutyApi.PagerDutyApiException e) {
                throw new InvalidRequestException(502, "PagerDuty REST API failed", List.of(e.getMessage()));
            }
            page.path("incidents").forEach(i -> {
                if (i.path("incident_key").asText("").startsWith(PREFIX)) {
                    incidents.add(i);
                }
            });
            if (!page.path("more").asBoolean(false)) {
                break;
            }
            if (offset + PAGE >= MAX_INCIDENTS) {
                truncated = true;
                break;
            }
        }
        Map<String, Map<String, Object>> state = new LinkedHashMap<>();
        Map<String, Integer> pastResolutions = new LinkedHashMap<>();
        String stateError = null;
        List<String> ids = incidents.stream().map(i -> i.path("incident_key").asText().substring(PREFIX.length())).distinct().toList();
        if (!ids.isEmpty()) {
            try {
                String in = String.join(", ", ids.stream().map(x -> "?").toList());
                queries.anomalies("anomaly_id IN (" + in + ")", ids).forEach(row -> state.put((String) row.get("anomaly_id"), row));
                queries.query(PageMemoryRows.carriedSql(pageMemoryTable, ids.size()), ids).forEach(row -> pastResolutions.put(
                        (String) row.get("anomaly_id"), ((Number) row.get("past_resolutions")).intValue()));
            } catch (PersistenceUnavailableException e) {
                stateError = "ClickHouse unavailable: anomaly details omitted";
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode i : incidents) {
            String anomalyId = i.path("incident_key").asText().substring(PREFIX.length());
            Map<String, Object> s = state.getOrDefault(anomalyId, Map.of());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("incident_id", i.path("id").asText());
            row.put("incident_number", i.path("incident_number").isMissingNode() ? i.path("number").asInt() : i.path("incident_number").asInt());
            row.put("status", i.path("status").asText());
            row.put("html_url", i.path("html_url").asText(null));
            row.put("title", i.path("title").asText(null));
            row.put("anomaly_id", anomalyId);
            row.put("service", s.get("service"));
            row.put("severity", s.get("severity"));
            row.put("teams", s.get("teams"));
            row.put("acknowledged_by", acknowledger(i, s));
            row.put("pagerduty_service", i.path("service").path("summary").asText(null));
            row.put("assignees", assignees(i, s));
            // how many past resolutions of its service the page carried (incident memory); unknown without ClickHouse
            row.put("past_resolutions", stateError == null ? pastResolutions.getOrDefault(anomalyId, 0) : null);
            out.add(row);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("statuses", statuses);
        answer.put("count", out.size());
        answer.put("incidents", out);
        if (truncated) {
            answer.put("truncated", "only the first " + MAX_INCIDENTS + " incidents of PagerDuty's list were read");
        }
        if (stateError != null) {
            answer.put("warning", stateError);
        }
        return answer;
    }

    /**
     * The statuses asked for: each value may itself be comma-separated, repeats count once. Absent means triggered and
     * acknowledged; given but empty, or naming anything else, is a 400 that says what to send (an empty list used to
     * list every incident).
     */
    static List<String> statuses(Object status) {
        if (status == null) {
            return List.of("triggered", "acknowledged");
        }
        List<String> given = new ArrayList<>();
        if (status instanceof Collection<?> values) {
            values.forEach(v -> given.add(String.valueOf(v)));
        } else {
            given.add(status.toString());
        }
        Set<String> out = new java.util.LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        for (String value : given) {
            for (String s : value.split(",", -1)) {
                String t = s.trim().toLowerCase(java.util.Locale.ROOT);
                if (STATUSES.contains(t)) {
                    out.add(t);
                } else if (t.isEmpty()) {
                    problems.add("status has an empty value; give triggered, acknowledged or resolved, comma-separated or repeated");
                } else {
                    problems.add("status '" + abbreviate(s.trim()) + "' is not one of triggered, acknowledged, resolved");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw InvalidRequestException.badRequest("invalid status", problems.stream().distinct().toList());
        }
        return List.copyOf(out);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 39) + "…";
    }

    /**
     * Who acknowledged the incident, while that acknowledgement stands: through a resolve (who was on it is part of the
     * story), but not after an unacknowledge, a reopen or a new page. PagerDuty's own acknowledgements when it lists
     * them (only while acknowledged), else the state the webhooks recorded, when its latest open status is that
     * acknowledgement.
     */
    static Object acknowledger(JsonNode incident, Map<String, Object> state) {
        String status = incident.path("status").asText();
        if (!"acknowledged".equals(status) && !"resolved".equals(status)) {
            return null;
        }
        JsonNode acks = incident.path("acknowledgements");
        if ("acknowledged".equals(status) && acks.isArray() && acks.size() > 0) {
            return acks.get(acks.size() - 1).path("acknowledger").path("summary").asText(null);
        }
        Object who = state.get("acknowledged_by");
        return "acknowledged".equals(state.get("last_open_status")) && who != null && !who.toString().isEmpty() ? who : null;
    }

    /**
     * Who has the incident: PagerDuty's assignees; for a resolved incident PagerDuty may list none any more, and then
     * the last assignees the webhooks recorded say who had it.
     */
    static List<String> assignees(JsonNode incident, Map<String, Object> state) {
        List<String> listed = names(incident.path("assignees"));
        Object recorded = state.get("assignees");
        if (listed.isEmpty() && "resolved".equals(incident.path("status").asText()) && recorded != null && !recorded.toString().isEmpty()) {
            return List.of(recorded.toString().split(", "));
        }
        return listed;
    }

    private static List<String> names(JsonNode refs) {
        List<String> names = new ArrayList<>();
        refs.forEach(a -> names.add(a.path("summary").asText(a.path("assignee").path("summary").asText(""))));
        return names;
    }
}
