package io.infrasage.pagerduty.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.infrasage.pagerduty.http.InvalidRequestException;
import org.junit.jupiter.api.Test;

class IncidentListingTest {

    private static List<String> refused(Object status) {
        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class, () -> IncidentListing.statuses(status));
        assertThat(e).as(String.valueOf(status)).isNotNull();
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.error()).isEqualTo("invalid status");
        return e.problems();
    }

    @Test
    void withoutAStatusTheOpenIncidentsAreListed() {
        assertThat(IncidentListing.statuses(null)).containsExactly("triggered", "acknowledged");
    }

    @Test
    void aRepeatedStatusIsAListAndCommasAndCaseAreAccepted() {
        assertThat(IncidentListing.statuses(List.of("triggered", "Resolved"))).containsExactly("triggered", "resolved");
        assertThat(IncidentListing.statuses(List.of("triggered,acknowledged", "triggered"))).containsExactly("triggered", "acknowledged");
        assertThat(IncidentListing.statuses(" resolved ")).containsExactly("resolved");
    }

    @Test
    void anEmptyStatusIsA400NotEveryIncident() {
        assertThat(refused("")).singleElement().asString().startsWith("status has an empty value");
        assertThat(refused(",,,")).singleElement().asString().startsWith("status has an empty value");
        assertThat(refused("triggered,")).singleElement().asString().startsWith("status has an empty value");
        assertThat(refused(List.of("triggered", ""))).singleElement().asString().startsWith("status has an empty value");
    }

    @Test
    void aGarbledStatusIsNamedShortly() {
        assertThat(refused("[triggered, resolved]")).containsExactly("status '[triggered' is not one of triggered, acknowledged, resolved",
                "status 'resolved]' is not one of triggered, acknowledged, resolved");
        assertThat(refused("x".repeat(10_000))).singleElement().asString().hasSizeLessThan(120);
    }

    private static JsonNode incident(String json) {
        try {
            return new ObjectMapper().readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> state(String acknowledgedBy, String lastOpenStatus) {
        return Map.of("acknowledged_by", acknowledgedBy, "last_open_status", lastOpenStatus);
    }

    @Test
    void anAcknowledgedThenResolvedIncidentNamesWhoAcknowledgedIt() {
        assertThat(IncidentListing.acknowledger(incident("{\"status\":\"resolved\"}"), state("Alice Example", "acknowledged")))
                .isEqualTo("Alice Example");
    }

    @Test
    void afterAnUnacknowledgeOrAReopenTheFormerAcknowledgerIsNotNamed() {
        // the incident went back to triggered after Alice's acknowledgement (unacknowledged, reopened or paged again)
        assertThat(IncidentListing.acknowledger(incident("{\"status\":\"resolved\"}"), state("Alice Example", "triggered"))).isNull();
        assertThat(IncidentListing.acknowledger(incident("{\"status\":\"triggered\"}"), state("Alice Example", "acknowledged"))).isNull();
        // acknowledged again in PagerDuty, its webhook not here yet: the old name is not the answer
        assertThat(IncidentListing.acknowledger(incident("{\"status\":\"acknowledged\"}"), state("Alice Example", "triggered"))).isNull();
        assertThat(IncidentListing.acknowledger(incident("{\"status\":\"resolved\"}"), Map.of())).isNull();
    }

    @Test
    void pagerDutysOwnAcknowledgementsWinWhileItListsThem() {
        assertThat(IncidentListing.acknowledger(incident("{\"status\":\"acknowledged\",\"acknowledgements\":[{\"acknowledger\":"
                + "{\"summary\":\"Alice Example\"}},{\"acknowledger\":{\"summary\":\"Bob Example\"}}]}"),
                state("Alice Example", "acknowledged"))).isEqualTo("Bob Example");
        assertThat(IncidentListing.acknowledger(incident("{\"status\":\"acknowledged\"}"), state("Alice Example", "acknowledged")))
                .isEqualTo("Alice Example");
    }

    @Test
    void aResolvedIncidentPagerDutyListsWithoutAssigneesShowsWhoLastHadIt() {
        Map<String, Object> state = Map.of("assignees", "Alice Example, Bob Example");
        assertThat(IncidentListing.assignees(incident("{\"status\":\"resolved\",\"assignees\":[]}"), state))
                .containsExactly("Alice Example", "Bob Example");
        assertThat(IncidentListing.assignees(incident("{\"status\":\"triggered\",\"assignees\":[{\"summary\":\"Carol\"}]}"), state))
                .containsExactly("Carol");
        assertThat(IncidentListing.assignees(incident("{\"status\":\"resolved\",\"assignees\":[{\"summary\":\"Carol\"}]}"), state))
                .containsExactly("Carol");
    }
}
