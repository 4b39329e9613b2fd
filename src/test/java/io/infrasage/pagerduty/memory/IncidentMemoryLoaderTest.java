package io.infrasage.pagerduty.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class IncidentMemoryLoaderTest {

    private static Map<String, Object> row(String service, String rootCause, String notes) {
        Map<String, Object> row = new HashMap<>();
        row.put("anomaly_id", "a-1");
        row.put("incident_id", "Q1");
        row.put("version", 7L);
        row.put("service", service);
        row.put("root_cause", rootCause);
        row.put("notes", notes);
        row.put("resolved_by", "Alice Example");
        row.put("resolved_at", "2026-11-26 03:12:09");
        row.put("written_at", 1L);
        row.put("incident_url", "https://acme.pagerduty.com/incidents/Q1");
        row.put("state_service", "payment-api");
        row.put("state_root_cause", "DB pool exhausted");
        return row;
    }

    @Test
    void aRowBecomesAPastResolutionWithItsNoteCutToAReadableLengthWithAMark() {
        PastResolution p = IncidentMemoryLoader.pastResolution(row("payment-api", "DB pool exhausted", "n".repeat(2000)));

        assertThat(p.note()).hasSize(IncidentMemoryLoader.NOTE_CHARS).endsWith("…");
        assertThat(p.resolvedAt()).isEqualTo(Instant.parse("2026-11-26T03:12:09Z"));
        assertThat(p.resolvedBy()).isEqualTo("Alice Example");
        assertThat(p.incidentUrl()).isEqualTo("https://acme.pagerduty.com/incidents/Q1");
        assertThat(p.rootCauseKey()).isEqualTo("db pool exhausted");
        assertThat(p.version()).isEqualTo(7L);
    }

    @Test
    void aMemoryWrittenBeforeThePagesStateTakesServiceAndRootCauseFromTheStateView() {
        PastResolution p = IncidentMemoryLoader.pastResolution(row("", "", "Alice Example: raised the DB pool to 50"));

        assertThat(p.service()).isEqualTo("payment-api");
        assertThat(p.rootCause()).isEqualTo("DB pool exhausted");
    }
}
