package io.infrasage.pagerduty.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class RoutingRulesTest {

    private static final String PAYMENTS_KEY = "p".repeat(28) + "PAY1";
    private static final String PLATFORM_KEY = "i".repeat(28) + "PLT2";
    private static final String DEFAULT_KEY = "d".repeat(28) + "DEF3";
    private static final String FALLBACK_KEY = "f".repeat(28) + "FBK4";

    /** The seed's rules: payments, platform, then a catch-all. */
    private static final String SEED_RULES = "["
            + "{\"service_pattern\":\"payment-*\",\"service_key\":\"" + PAYMENTS_KEY + "\"},"
            + "{\"service_pattern\":\"infra-*\",\"service_key\":\"" + PLATFORM_KEY + "\"},"
            + "{\"service_pattern\":\"*\",\"service_key\":\"" + DEFAULT_KEY + "\"}]";

    private static List<String> keys(List<RoutingTarget> targets) {
        return targets.stream().map(RoutingTarget::routingKey).toList();
    }

    private static String rule(String pattern, String key) {
        return "{\"service_pattern\":\"" + pattern + "\",\"service_key\":\"" + key + "\"}";
    }

    @Test
    void seedRulesRoutePaymentApiToThePaymentsKey() {
        RoutingRules rules = RoutingRules.parse(SEED_RULES, null);

        assertThat(keys(rules.targetsFor("payment-api"))).containsExactly(PAYMENTS_KEY);
    }

    @Test
    void seedRulesRouteInfraDbToThePlatformKey() {
        RoutingRules rules = RoutingRules.parse(SEED_RULES, null);

        assertThat(keys(rules.targetsFor("infra-db"))).containsExactly(PLATFORM_KEY);
    }

    @Test
    void seedRulesRouteAnyOtherServiceToTheCatchAllKey() {
        RoutingRules rules = RoutingRules.parse(SEED_RULES, null);

        assertThat(keys(rules.targetsFor("user-service"))).containsExactly(DEFAULT_KEY);
        assertThat(rules.size()).isEqualTo(3);
    }

    @Test
    void firstMatchingRuleWinsOverLaterMatches() {
        // payment-api matches both payment-* and the catch-all; only the first pages
        RoutingRules rules = RoutingRules.parse(SEED_RULES, null);

        assertThat(rules.targetsFor("payment-api")).hasSize(1);
    }

    @Test
    void continueTrueFansOutToTheNextMatchingRules() {
        String json = "[{\"service_pattern\":\"payment-*\",\"service_key\":\"" + PAYMENTS_KEY + "\",\"continue\":true,"
                + "\"team\":\"payments\"},"
                + rule("infra-*", PLATFORM_KEY) + ","
                + "{\"service_pattern\":\"*\",\"service_key\":\"" + DEFAULT_KEY + "\",\"team\":\"sre\"}]";
        RoutingRules rules = RoutingRules.parse(json, null);

        List<RoutingTarget> targets = rules.targetsFor("payment-api");

        assertThat(targets).extracting(RoutingTarget::team).containsExactly("payments", "sre");
        assertThat(keys(targets)).containsExactly(PAYMENTS_KEY, DEFAULT_KEY);
    }

    @Test
    void continueStopsAtTheFirstLaterMatchWithoutContinue() {
        String json = "[{\"service_pattern\":\"payment-*\",\"service_key\":\"" + PAYMENTS_KEY + "\",\"continue\":true},"
                + rule("payment-api", PLATFORM_KEY) + ","
                + rule("*", DEFAULT_KEY) + "]";

        assertThat(keys(RoutingRules.parse(json, null).targetsFor("payment-api")))
                .containsExactly(PAYMENTS_KEY, PLATFORM_KEY);
    }

    @Test
    void continueFalseDoesNotFanOut() {
        String json = "[{\"service_pattern\":\"payment-*\",\"service_key\":\"" + PAYMENTS_KEY + "\",\"continue\":false},"
                + rule("*", DEFAULT_KEY) + "]";

        assertThat(keys(RoutingRules.parse(json, null).targetsFor("payment-api"))).containsExactly(PAYMENTS_KEY);
    }

    @Test
    void theSameKeyReachedByTwoRulesIsListedOnce() {
        String json = "[{\"service_pattern\":\"payment-*\",\"service_key\":\"" + PAYMENTS_KEY + "\",\"continue\":true},"
                + rule("*-api", PAYMENTS_KEY) + "]";

        List<RoutingTarget> targets = RoutingRules.parse(json, FALLBACK_KEY).targetsFor("payment-api");

        assertThat(keys(targets)).containsExactly(PAYMENTS_KEY);
        assertThat(targets.get(0).team()).isEqualTo("payment-*");
    }

    @Test
    void fallbackKeyIsUsedWhenNoRuleMatches() {
        RoutingRules rules = RoutingRules.parse("[" + rule("payment-*", PAYMENTS_KEY) + "]", FALLBACK_KEY);

        List<RoutingTarget> targets = rules.targetsFor("infra-db");

        assertThat(keys(targets)).containsExactly(FALLBACK_KEY);
        assertThat(targets.get(0).team()).isEqualTo("default");
    }

    @Test
    void fallbackKeyIsNotAddedWhenARuleMatches() {
        RoutingRules rules = RoutingRules.parse("[" + rule("payment-*", PAYMENTS_KEY) + "]", FALLBACK_KEY);

        assertThat(keys(rules.targetsFor("payment-api"))).containsExactly(PAYMENTS_KEY);
    }

    @Test
    void noRulesAndAFallbackKeyPagesEveryServiceWithTheFallback() {
        RoutingRules rules = RoutingRules.parse("", FALLBACK_KEY);

        assertThat(rules.size()).isZero();
        assertThat(keys(rules.targetsFor("anything"))).containsExactly(FALLBACK_KEY);
    }

    @Test
    void noneHasNoTargets() {
        assertThat(RoutingRules.none().targetsFor("payment-api")).isEmpty();
    }

    @Test
    void fallbackKeyIsTrimmed() {
        RoutingRules rules = RoutingRules.parse(null, "  " + FALLBACK_KEY + "\n");

        assertThat(keys(rules.targetsFor("x"))).containsExactly(FALLBACK_KEY);
    }

    @Test
    void teamDefaultsToThePattern() {
        RoutingRules rules = RoutingRules.parse(SEED_RULES, null);

        assertThat(rules.targetsFor("infra-db")).extracting(RoutingTarget::team).containsExactly("infra-*");
    }

    @Test
    void explicitTeamIsUsed() {
        String json = "[{\"service_pattern\":\"*\",\"service_key\":\"" + DEFAULT_KEY + "\",\"team\":\"SRE on call\"}]";

        assertThat(RoutingRules.parse(json, null).targetsFor("x")).extracting(RoutingTarget::team)
                .containsExactly("SRE on call");
    }

    @Test
    void globBracesAndCharacterClassesMatch() {
        String json = "[" + rule("{payment,billing}-api", PAYMENTS_KEY) + "," + rule("db-[0-9]", PLATFORM_KEY) + "]";
        RoutingRules rules = RoutingRules.parse(json, FALLBACK_KEY);

        assertThat(keys(rules.targetsFor("billing-api"))).containsExactly(PAYMENTS_KEY);
        assertThat(keys(rules.targetsFor("db-7"))).containsExactly(PLATFORM_KEY);
        assertThat(keys(rules.targetsFor("db-x"))).containsExactly(FALLBACK_KEY);
    }

    @Test
    void notJsonIsRefused() {
        assertThatThrownBy(() -> RoutingRules.parse("payment-*=" + PAYMENTS_KEY, FALLBACK_KEY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("is not valid JSON");
    }

    @Test
    void malformedJsonDoesNotEchoAnUnquotedKeyInTheMessage() {
        // the rules variable is a secret (it carries integration keys): a typo must not print a key into the logs
        String json = "[{\"service_pattern\":\"*\",\"service_key\":" + DEFAULT_KEY + "}]";

        assertThatThrownBy(() -> RoutingRules.parse(json, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("is not valid JSON (at line 1, column ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(DEFAULT_KEY).doesNotContain("DEF3"));
    }

    @Test
    void aJsonObjectInsteadOfAnArrayIsRefused() {
        assertThatThrownBy(() -> RoutingRules.parse(rule("*", DEFAULT_KEY), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be a JSON array");
    }

    @Test
    void aRuleThatIsNotAnObjectIsRefusedByNumber() {
        assertThatThrownBy(() -> RoutingRules.parse("[" + rule("*", DEFAULT_KEY) + ", \"payment-*\"]", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rule 2 is not an object");
    }

    @Test
    void missingServiceKeyIsRefusedNamingTheRule() {
        String json = "[" + rule("*", DEFAULT_KEY) + ", {\"service_pattern\":\"payment-*\"}]";

        assertThatThrownBy(() -> RoutingRules.parse(json, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rule 2 has no service_key");
    }

    @Test
    void missingServicePatternIsRefusedNamingTheRule() {
        String json = "[{\"service_key\":\"" + PAYMENTS_KEY + "\"}]";

        assertThatThrownBy(() -> RoutingRules.parse(json, FALLBACK_KEY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rule 1 has no service_pattern");
    }

    @Test
    void keyThatIsNot32CharactersIsRefusedWithItsLengthButNotItsValue() {
        String shortKey = PAYMENTS_KEY.substring(1);
        String json = "[" + rule("payment-*", shortKey) + "," + rule("*", DEFAULT_KEY) + "]";

        assertThatThrownBy(() -> RoutingRules.parse(json, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rule 1 (payment-*) service_key has 31 characters")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(shortKey));
    }

    @Test
    void unknownFieldSuchAsATypoIsRefusedNamingTheRuleAndField() {
        String json = "[" + rule("*", DEFAULT_KEY) + ", "
                + "{\"service_pattern\":\"payment-*\",\"service_keys\":\"" + PAYMENTS_KEY + "\"}]";

        assertThatThrownBy(() -> RoutingRules.parse(json, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rule 2 has unknown field 'service_keys'")
                .hasMessageContaining("rule 2 has no service_key");
    }

    @Test
    void invalidGlobIsRefusedNamingTheRuleAndPattern() {
        String json = "[" + rule("payment-[", PAYMENTS_KEY) + "," + rule("*", DEFAULT_KEY) + "]";

        assertThatThrownBy(() -> RoutingRules.parse(json, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rule 1 service_pattern 'payment-[' is not a valid glob");
    }

    @Test
    void continueThatIsNotABooleanIsRefused() {
        String json = "[{\"service_pattern\":\"*\",\"service_key\":\"" + DEFAULT_KEY + "\",\"continue\":\"yes\"}]";

        assertThatThrownBy(() -> RoutingRules.parse(json, FALLBACK_KEY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rule 1 'continue' must be true or false");
    }

    @Test
    void rulesWithoutCatchAllAndWithoutFallbackAreRefused() {
        String json = "[" + rule("payment-*", PAYMENTS_KEY) + "]";

        assertThatThrownBy(() -> RoutingRules.parse(json, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no rule matches every service and PAGERDUTY_SERVICE_KEY is empty");
    }

    @Test
    void noRulesAndNoFallbackAreRefused() {
        assertThatThrownBy(() -> RoutingRules.parse("  ", " "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nowhere to page");
    }

    @Test
    void fallbackKeyOfTheWrongLengthIsRefusedWithoutShowingIt() {
        String badFallback = FALLBACK_KEY.substring(1);

        assertThatThrownBy(() -> RoutingRules.parse(SEED_RULES, badFallback))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fallback PAGERDUTY_SERVICE_KEY has 31 characters")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(badFallback));
    }

    @Test
    void everyProblemIsReportedInOneMessage() {
        String json = "[{\"service_pattern\":\"payment-*\",\"service_key\":\"short\"},"
                + "{\"service_pattern\":\"infra-*\",\"service_keys\":\"" + PLATFORM_KEY + "\"}]";

        assertThatThrownBy(() -> RoutingRules.parse(json, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rule 1 (payment-*) service_key has 5 characters")
                .hasMessageContaining("rule 2 has unknown field 'service_keys'")
                .hasMessageContaining("rule 2 has no service_key")
                .hasMessageContaining("nowhere to page");
    }

    @Test
    void inhibitFalseNamesTheTeamsNeverHeldBackForTheirServices() {
        String json = "[{\"service_pattern\":\"checkout-*\",\"service_key\":\"" + PAYMENTS_KEY + "\",\"continue\":true,\"inhibit\":false},"
                + rule("checkout-*", PLATFORM_KEY) + "," + rule("*", DEFAULT_KEY) + "]";
        RoutingRules rules = RoutingRules.parse(json, null);

        assertThat(keys(rules.targetsFor("checkout-api"))).containsExactly(PAYMENTS_KEY, PLATFORM_KEY);
        assertThat(rules.neverInhibited("checkout-api")).containsExactly(PAYMENTS_KEY);
        assertThat(rules.neverInhibited("search-api")).isEmpty();
    }

    @Test
    void inhibitThatIsNotABooleanIsRefusedNamingTheRule() {
        String json = "[{\"service_pattern\":\"*\",\"service_key\":\"" + DEFAULT_KEY + "\",\"inhibit\":\"no\"}]";
        assertThatThrownBy(() -> RoutingRules.parse(json, null)).hasMessageContaining("rule 1 'inhibit' must be true or false");
    }
}
