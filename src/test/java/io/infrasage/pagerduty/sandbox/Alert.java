package io.infrasage.pagerduty.sandbox;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * Snapshot of an alert. PagerDuty alerts are only ever "triggered" or "resolved"; acknowledgement lives on the incident.
 *
 * @param deduplicatedEvents how many later triggers were folded into this alert instead of paging again
 * @param event              the trigger event body that opened the alert (images/links are where the client put them)
 */
public record Alert(String id, String routingKey, String dedupKey, String status, String incidentId, String summary,
                    String severity, Instant createdAt, int deduplicatedEvents, JsonNode event) {
}
