package io.infrasage.pagerduty.sandbox;

import java.time.Instant;

/** Snapshot of an incident note; {@code content} is always the full text, never trimmed. */
public record Note(String id, String incidentId, String user, String content, Instant createdAt) {
}
