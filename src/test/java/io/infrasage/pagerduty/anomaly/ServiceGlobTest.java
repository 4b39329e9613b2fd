package io.infrasage.pagerduty.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ServiceGlobTest {

    private static boolean matches(String glob, String service) {
        return ServiceGlob.compile(glob).matches(service);
    }

    @Test
    void starMatchesEveryNameWhateverItsScriptOrCharacters() {
        for (String service : new String[] {"payment-api", "café-api", "決済-api", "ödeme", "a/b", "", "line\nbreak", "emoji-🚀-api"}) {
            assertThat(matches("*", service)).as(service).isTrue();
            assertThat(matches("**", service)).as(service).isTrue();
        }
    }

    @Test
    void starMatchesAnyRunAroundLiterals() {
        assertThat(matches("payment-*", "payment-api")).isTrue();
        assertThat(matches("payment-*", "payment-")).isTrue();
        assertThat(matches("payment-*", "payments-api")).isFalse();
        assertThat(matches("*-api", "決済-api")).isTrue();
        assertThat(matches("caf*", "café-api")).isTrue();
    }

    @Test
    void questionMarkMatchesExactlyOneCharacterIncludingNonAscii() {
        assertThat(matches("db-?", "db-7")).isTrue();
        assertThat(matches("db-?", "db-é")).isTrue();
        assertThat(matches("db-?", "db-🚀")).isTrue();
        assertThat(matches("db-?", "db-")).isFalse();
        assertThat(matches("db-?", "db-12")).isFalse();
    }

    @Test
    void characterClassesRangesAndNegation() {
        assertThat(matches("db-[0-9]", "db-7")).isTrue();
        assertThat(matches("db-[0-9]", "db-x")).isFalse();
        assertThat(matches("db-[abc]", "db-b")).isTrue();
        assertThat(matches("db-[!0-9]", "db-x")).isTrue();
        assertThat(matches("db-[!0-9]", "db-7")).isFalse();
        assertThat(matches("db-[a-]", "db--")).isTrue();
        assertThat(matches("[é]-api", "é-api")).isTrue();
    }

    @Test
    void bracesOfferAlternatives() {
        assertThat(matches("{payment,billing}-api", "billing-api")).isTrue();
        assertThat(matches("{payment,billing}-api", "payment-api")).isTrue();
        assertThat(matches("{payment,billing}-api", "checkout-api")).isFalse();
        assertThat(matches("{決済,支払}-*", "支払-api")).isTrue();
    }

    @Test
    void regexCharactersAreLiterals() {
        assertThat(matches("a.b", "a.b")).isTrue();
        assertThat(matches("a.b", "axb")).isFalse();
        assertThat(matches("a+(b)", "a+(b)")).isTrue();
        assertThat(matches("x,y", "x,y")).isTrue();
        assertThat(matches("\\*", "*")).isTrue();
        assertThat(matches("\\*", "a")).isFalse();
    }

    @Test
    void matchesTheWholeNameNotAPart() {
        assertThat(matches("api", "payment-api")).isFalse();
    }

    @Test
    void onlyStarsMatchEverything() {
        assertThat(ServiceGlob.compile("*").matchesEverything()).isTrue();
        assertThat(ServiceGlob.compile("**").matchesEverything()).isTrue();
        assertThat(ServiceGlob.compile("*-api").matchesEverything()).isFalse();
        assertThat(ServiceGlob.compile("?*").matchesEverything()).isFalse();
    }

    @Test
    void malformedGlobsAreRefusedSayingWhy() {
        assertThatThrownBy(() -> ServiceGlob.compile("payment-[")).hasMessageContaining("never closed");
        assertThatThrownBy(() -> ServiceGlob.compile("{a,b")).hasMessageContaining("never closed");
        assertThatThrownBy(() -> ServiceGlob.compile("{a,{b}}")).hasMessageContaining("nested");
        assertThatThrownBy(() -> ServiceGlob.compile("a}")).hasMessageContaining("without '{'");
        assertThatThrownBy(() -> ServiceGlob.compile("a\\")).hasMessageContaining("escapes nothing");
        assertThatThrownBy(() -> ServiceGlob.compile("[z-a]")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ServiceGlob.compile("")).hasMessageContaining("empty");
    }
}
