package io.infrasage.pagerduty.anomaly;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RoutingTargetTest {

    private static final String KEY = "0123456789abcdef0123456789abWXYZ";

    @Test
    void maskedKeyShowsOnlyTheLastFourCharacters() {
        assertThat(new RoutingTarget("payments", KEY).maskedKey()).isEqualTo("****WXYZ");
    }

    @Test
    void toStringNamesTheTeamAndNeverContainsTheFullKey() {
        String text = new RoutingTarget("payments", KEY).toString();

        assertThat(text).isEqualTo("payments(****WXYZ)");
        assertThat(text).doesNotContain(KEY).doesNotContain(KEY.substring(0, 28));
    }

    @Test
    void shortOrMissingKeysAreMaskedCompletely() {
        assertThat(RoutingTarget.mask(null)).isEqualTo("****");
        assertThat(RoutingTarget.mask("abcd")).isEqualTo("****");
        assertThat(RoutingTarget.mask("abcde")).isEqualTo("****bcde");
    }
}
