package io.infrasage.pagerduty.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SeverityPolicyTest {

    private final SeverityPolicy defaults = SeverityPolicy.of(0.4, 0.6, 0.8, "warning");

    @ParameterizedTest(name = "score {0} pages as {1}")
    @CsvSource({
            "0.4,  warning",
            "0.59, warning",
            "0.6,  error",
            "0.79, error",
            "0.8,  critical",
            "1.0,  critical"})
    void bandsAreLowerBoundInclusive(double score, String expected) {
        assertThat(defaults.severityFor(score)).isEqualTo(expected);
    }

    @Test
    void scoreOf0point39IsBelowTheLowestBandAndNotPaged() {
        assertThat(defaults.severityFor(0.39)).isNull();
    }

    @Test
    void scoreOf0IsNotPaged() {
        assertThat(defaults.severityFor(0.0)).isNull();
    }

    @Test
    void minimumErrorSuppressesAWarningScore() {
        SeverityPolicy policy = SeverityPolicy.of(0.4, 0.6, 0.8, "error");

        assertThat(policy.severityFor(0.5)).isNull();
        assertThat(policy.severityFor(0.6)).isEqualTo("error");
        assertThat(policy.severityFor(0.9)).isEqualTo("critical");
    }

    @Test
    void minimumCriticalPagesOnlyCriticalScores() {
        SeverityPolicy policy = SeverityPolicy.of(0.4, 0.6, 0.8, "critical");

        assertThat(policy.severityFor(0.79)).isNull();
        assertThat(policy.severityFor(0.8)).isEqualTo("critical");
    }

    @Test
    void customBandsMoveTheBoundaries() {
        SeverityPolicy policy = SeverityPolicy.of(0.2, 0.5, 0.9, "warning");

        assertThat(policy.severityFor(0.19)).isNull();
        assertThat(policy.severityFor(0.2)).isEqualTo("warning");
        assertThat(policy.severityFor(0.5)).isEqualTo("error");
        assertThat(policy.severityFor(0.89)).isEqualTo("error");
        assertThat(policy.severityFor(0.9)).isEqualTo("critical");
    }

    @Test
    void blankOrNullMinimumDefaultsToWarning() {
        assertThat(SeverityPolicy.of(0.4, 0.6, 0.8, null).minimum()).isEqualTo("warning");
        assertThat(SeverityPolicy.of(0.4, 0.6, 0.8, "  ").minimum()).isEqualTo("warning");
    }

    @Test
    void minimumIsCaseAndSpaceInsensitive() {
        SeverityPolicy policy = SeverityPolicy.of(0.4, 0.6, 0.8, " Error ");

        assertThat(policy.minimum()).isEqualTo("error");
        assertThat(policy.severityFor(0.5)).isNull();
    }

    @Test
    void bandsThatDoNotRiseAreRefused() {
        assertThatThrownBy(() -> SeverityPolicy.of(0.6, 0.4, 0.8, "warning"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bands must rise")
                .hasMessageContaining("warning-from (0.6)")
                .hasMessageContaining("error-from (0.4)");
    }

    @Test
    void equalBandsAreRefused() {
        assertThatThrownBy(() -> SeverityPolicy.of(0.4, 0.8, 0.8, "warning"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bands must rise");
    }

    @Test
    void minimumInfoIsRefusedBecauseItWouldNeverApply() {
        assertThatThrownBy(() -> SeverityPolicy.of(0.4, 0.6, 0.8, "info"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("warning, error, critical")
                .hasMessageContaining("'info'");
    }

    @Test
    void unknownMinimumIsRefusedNamingTheValue() {
        assertThatThrownBy(() -> SeverityPolicy.of(0.4, 0.6, 0.8, "bogus"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'bogus'");
    }

    @Test
    void suppressionReasonOfALowScoreNamesTheLowestBand() {
        assertThat(defaults.suppressionReason(0.39)).isEqualTo("score 0.39 is below the lowest band (0.4)");
    }

    @Test
    void suppressionReasonOfAScoreBelowTheMinimumNamesTheMinimum() {
        SeverityPolicy policy = SeverityPolicy.of(0.4, 0.6, 0.8, "critical");

        assertThat(policy.suppressionReason(0.7)).isEqualTo("severity below the configured minimum (critical)");
    }
}
