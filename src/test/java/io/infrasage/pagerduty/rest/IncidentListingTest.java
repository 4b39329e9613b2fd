package io.infrasage.pagerduty.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;

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
}
