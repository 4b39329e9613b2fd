package io.infrasage.pagerduty.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.infrasage.pagerduty.anomaly.RoutingTarget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BundleSettingsTest {

    private static final String SERVICE_KEY = "0123456789abcdef0123456789abKEY1";
    private static final String WEBHOOK_SECRET = "whsec-4b1d9e";

    private final Map<String, String> properties = new HashMap<>();
    private final Map<String, String> env = new HashMap<>();

    private static final String API_TOKEN = "api-token-5e1f";

    /** The least a deployment must set: somewhere to page, the webhook signing secret and the API token. */
    private void minimalEnv() {
        env.put("PAGERDUTY_SERVICE_KEY", SERVICE_KEY);
        env.put("PAGERDUTY_WEBHOOK_SECRETS", WEBHOOK_SECRET);
        env.put("INFRASAGE_API_TOKEN", API_TOKEN);
    }

    private BundleSettings load() {
        return BundleSettings.load(key -> Optional.ofNullable(properties.get(key)), env::get);
    }

    private InvalidConfigurationException failure() {
        InvalidConfigurationException e = catchThrowableOfType(InvalidConfigurationException.class, this::load);
        assertThat(e).as("configuration refused").isNotNull();
        return e;
    }

    @Test
    void defaultsApplyWhenOnlyTheRequiredSettingsAreGiven() {
        minimalEnv();

        BundleSettings s = load();

        assertThat(s.eventsUrl).isEqualTo(URI.create("https://events.pagerduty.com/v2/enqueue"));
        assertThat(s.apiUrl).isEqualTo(URI.create("https://api.pagerduty.com"));
        assertThat(s.rateLimitPerMinute).isEqualTo(120);
        assertThat(s.rateLimitBurst).isEqualTo(10);
        assertThat(s.retryInitialDelay).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.retryMaxDelay).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.retryThrottledDelay).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.deliveryWait).isEqualTo(Duration.ZERO);
        assertThat(s.concurrency).isEqualTo(16);
        assertThat(s.outboxMaxAge).isEqualTo(Duration.ofMinutes(15));
        assertThat(s.dataDir).isEqualTo(Path.of("data"));
        assertThat(s.clickHouseUrl).isEqualTo("jdbc:clickhouse://localhost:8123/infrasage");
        assertThat(s.clickHouseDatabase).isEqualTo("infrasage");
        assertThat(s.clickHouseUser).isEqualTo("default");
        assertThat(s.clickHousePassword).isEmpty();
        assertThat(s.apiToken).isEmpty();
        assertThat(s.ingestToken).contains(API_TOKEN);
        assertThat(s.ingestInsecure).isFalse();
        assertThat(s.webhookInsecure).isFalse();
        assertThat(s.webhookSecrets).containsExactly(WEBHOOK_SECRET);
        assertThat(s.severityPolicy.minimum()).isEqualTo("warning");
        assertThat(s.severityPolicy.severityFor(0.6)).isEqualTo("error");
        assertThat(s.routingRules.targetsFor("any-service")).extracting(RoutingTarget::routingKey)
                .containsExactly(SERVICE_KEY);
    }

    @Test
    void environmentWinsOverProperties() {
        minimalEnv();
        properties.put("pagerduty.rate-limit-per-minute", "60");
        env.put("PAGERDUTY_RATE_LIMIT_PER_MINUTE", "90");

        assertThat(load().rateLimitPerMinute).isEqualTo(90);
    }

    @Test
    void propertiesApplyWhenTheEnvironmentIsSilentOrBlank() {
        minimalEnv();
        properties.put("pagerduty.rate-limit-per-minute", " 60 ");
        properties.put("clickhouse.user", "bundle");
        env.put("CLICKHOUSE_USER", "  ");

        BundleSettings s = load();

        assertThat(s.rateLimitPerMinute).isEqualTo(60);
        assertThat(s.clickHouseUser).isEqualTo("bundle");
    }

    @Test
    void requiredSettingsCanComeFromPropertiesAlone() {
        properties.put("pagerduty.service-key", SERVICE_KEY);
        properties.put("pagerduty.webhook-secrets", WEBHOOK_SECRET);
        properties.put("anomaly.api-token", API_TOKEN);

        BundleSettings s = load();

        assertThat(s.webhookSecrets).containsExactly(WEBHOOK_SECRET);
        assertThat(s.routingRules.targetsFor("x")).extracting(RoutingTarget::routingKey).containsExactly(SERVICE_KEY);
    }

    @ParameterizedTest(name = "{0} -> database {1}")
    @CsvSource({
            "jdbc:clickhouse://h:8123/mydb?x=y, mydb",
            "jdbc:clickhouse://h:8123/mydb,     mydb",
            "jdbc:ch://h/other_db,              other_db",
            "jdbc:clickhouse://h:8123,          infrasage",
            "jdbc:clickhouse://h:8123/,         infrasage",
            "jdbc:clickhouse://h:8123?x=y,      infrasage"})
    void databaseIsThePathOfTheJdbcUrl(String url, String database) {
        minimalEnv();
        env.put("CLICKHOUSE_URL", url);

        BundleSettings s = load();

        assertThat(s.clickHouseDatabase).isEqualTo(database);
        assertThat(s.clickHouseUrl).isEqualTo(url);
    }

    @Test
    void databaseThatIsNotAPlainIdentifierIsAProblem() {
        minimalEnv();
        env.put("CLICKHOUSE_URL", "jdbc:clickhouse://h:8123/my-db");

        assertThat(failure().problems()).singleElement().asString()
                .startsWith("CLICKHOUSE_URL (clickhouse.url)").contains("'my-db'");
    }

    @Test
    void aClusterNameThatIsNotAPlainIdentifierIsAProblemAndSeveralNodesNameOneDatabase() {
        minimalEnv();
        env.put("CLICKHOUSE_URL", "jdbc:clickhouse://ch1:8123,ch2:8123/infrasage");
        assertThat(load().clickHouseDatabase).isEqualTo("infrasage");
        assertThat(load().clickHouseCluster).isEmpty();

        env.put("CLICKHOUSE_CLUSTER", "prod cluster");
        assertThat(failure().problems()).singleElement().asString()
                .startsWith("CLICKHOUSE_CLUSTER (clickhouse.cluster)").contains("'prod cluster'");
    }

    @Test
    void nonClickHouseUrlIsAProblem() {
        minimalEnv();
        env.put("CLICKHOUSE_URL", "jdbc:postgresql://h/db");

        assertThat(failure().problems()).singleElement().asString().startsWith("CLICKHOUSE_URL").contains("ClickHouse JDBC URL");
    }

    @Test
    void everyInvalidValueIsListedInOneExceptionWithItsEnvironmentVariable() {
        minimalEnv();
        env.put("PAGERDUTY_RATE_LIMIT_PER_MINUTE", "abc");
        env.put("INFRASAGE_SEVERITY_WARNING_FROM", "2");

        InvalidConfigurationException e = failure();

        assertThat(e.problems()).hasSize(2);
        assertThat(e.problems()).anySatisfy(p -> assertThat(p)
                .startsWith("PAGERDUTY_RATE_LIMIT_PER_MINUTE (pagerduty.rate-limit-per-minute)").contains("'abc'"));
        assertThat(e.problems()).anySatisfy(p -> assertThat(p)
                .startsWith("INFRASAGE_SEVERITY_WARNING_FROM (anomaly.severity.warning-from)").contains("'2'"));
        assertThat(e.getMessage()).contains("PAGERDUTY_RATE_LIMIT_PER_MINUTE").contains("INFRASAGE_SEVERITY_WARNING_FROM");
    }

    @Test
    void manyUnrelatedProblemsAreAllReported() {
        env.put("PAGERDUTY_EVENTS_URL", "ftp://events.example");
        env.put("PAGERDUTY_WEBHOOK_INSECURE", "yes");
        env.put("PAGERDUTY_CONCURRENCY", "0");
        env.put("PAGERDUTY_RETRY_MAX_DELAY", "soon");
        env.put("INFRASAGE_MIN_SEVERITY", "bogus");

        List<String> problems = failure().problems();

        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("PAGERDUTY_EVENTS_URL").contains("http(s) URL"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("PAGERDUTY_WEBHOOK_INSECURE").contains("true or false"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("PAGERDUTY_CONCURRENCY").contains("'0'"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("PAGERDUTY_RETRY_MAX_DELAY").contains("'soon'"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("INFRASAGE_MIN_SEVERITY").contains("'bogus'"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("PAGERDUTY_WEBHOOK_SECRETS"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("PAGERDUTY_ROUTING_RULES").contains("nowhere to page"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("INFRASAGE_API_TOKEN"));
        assertThat(problems).hasSize(8);
    }

    @Test
    void missingApiTokenIsAProblemNamingTheInsecureSwitch() {
        env.put("PAGERDUTY_SERVICE_KEY", SERVICE_KEY);
        env.put("PAGERDUTY_WEBHOOK_SECRETS", WEBHOOK_SECRET);

        assertThat(failure().problems()).singleElement().asString()
                .startsWith("INFRASAGE_API_TOKEN (anomaly.api-token) is empty")
                .contains("INFRASAGE_API_INSECURE=true");
    }

    @Test
    void missingApiTokenIsAcceptedWhenExplicitlyInsecure() {
        env.put("PAGERDUTY_SERVICE_KEY", SERVICE_KEY);
        env.put("PAGERDUTY_WEBHOOK_SECRETS", WEBHOOK_SECRET);
        env.put("INFRASAGE_API_INSECURE", "true");

        BundleSettings s = load();

        assertThat(s.ingestInsecure).isTrue();
        assertThat(s.ingestToken).isEmpty();
    }

    @Test
    void missingWebhookSecretIsAProblem() {
        env.put("PAGERDUTY_SERVICE_KEY", SERVICE_KEY);
        env.put("INFRASAGE_API_TOKEN", API_TOKEN);

        assertThat(failure().problems()).singleElement().asString()
                .startsWith("PAGERDUTY_WEBHOOK_SECRETS (pagerduty.webhook-secrets) is empty")
                .contains("PAGERDUTY_WEBHOOK_INSECURE=true");
    }

    @Test
    void missingWebhookSecretIsAcceptedWhenExplicitlyInsecure() {
        env.put("PAGERDUTY_SERVICE_KEY", SERVICE_KEY);
        env.put("INFRASAGE_API_TOKEN", API_TOKEN);
        env.put("PAGERDUTY_WEBHOOK_INSECURE", "TRUE");

        BundleSettings s = load();

        assertThat(s.webhookInsecure).isTrue();
        assertThat(s.webhookSecrets).isEmpty();
    }

    @Test
    void webhookSecretsAreSplitOnCommasAndTrimmed() {
        minimalEnv();
        env.put("PAGERDUTY_WEBHOOK_SECRETS", " old-secret , new-secret ,,");

        assertThat(load().webhookSecrets).containsExactly("old-secret", "new-secret");
    }

    @Test
    void routingRulesAreReadWithTheServiceKeyAsFallback() {
        minimalEnv();
        String paymentsKey = "p".repeat(32);
        env.put("PAGERDUTY_ROUTING_RULES", "[{\"service_pattern\":\"payment-*\",\"service_key\":\"" + paymentsKey + "\"}]");

        BundleSettings s = load();

        assertThat(s.routingRules.targetsFor("payment-api")).extracting(RoutingTarget::routingKey).containsExactly(paymentsKey);
        assertThat(s.routingRules.targetsFor("infra-db")).extracting(RoutingTarget::routingKey).containsExactly(SERVICE_KEY);
    }

    @Test
    void routingRulesErrorsAreReportedUnderPagerDutyRoutingRules() {
        minimalEnv();
        env.put("PAGERDUTY_ROUTING_RULES", "[{\"service_pattern\":\"payment-*\",\"service_keys\":\"x\"}]");

        assertThat(failure().problems()).singleElement().asString()
                .startsWith("PAGERDUTY_ROUTING_RULES (pagerduty.routing-rules)")
                .contains("rule 1 has unknown field 'service_keys'");
    }

    @ParameterizedTest(name = "{0} = {1} ms")
    @CsvSource({"250ms, 250", "30s, 30000", "5m, 300000", "PT1M, 60000", "pt1.5s, 1500", "1h, 3600000"})
    void durationsAcceptUnitsAndIso8601(String value, long millis) {
        minimalEnv();
        env.put("PAGERDUTY_RETRY_INITIAL_DELAY", value);

        assertThat(load().retryInitialDelay).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest(name = "duration ''{0}'' is refused")
    @CsvSource({"30", "30x", "s", "5 minutes"})
    void durationsWithoutAKnownUnitAreRefused(String value) {
        minimalEnv();
        env.put("INFRASAGE_OUTBOX_MAX_AGE", value);

        assertThat(failure().problems()).singleElement().asString()
                .startsWith("INFRASAGE_OUTBOX_MAX_AGE (infrasage.outbox-max-age) must be a duration").contains(value);
    }

    @Test
    void theSelfHealingSyncRunsEveryFiveMinutesAndAPlainZeroTurnsItOff() {
        minimalEnv();
        assertThat(load().reconcileInterval).isEqualTo(Duration.ofMinutes(5));
        env.put("INFRASAGE_RECONCILE_INTERVAL", "0");
        assertThat(load().reconcileInterval).isZero();
        env.put("INFRASAGE_RECONCILE_INTERVAL", "30s");
        assertThat(load().reconcileInterval).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void burstMustBeBelowTheRate() {
        minimalEnv();
        env.put("PAGERDUTY_RATE_LIMIT_PER_MINUTE", "20");
        env.put("PAGERDUTY_RATE_LIMIT_BURST", "20");

        assertThat(failure().problems()).singleElement().asString()
                .startsWith("PAGERDUTY_RATE_LIMIT_BURST").contains("must be below PAGERDUTY_RATE_LIMIT_PER_MINUTE (20)");
    }

    @Test
    void severityBandsAndMinimumComeFromTheEnvironment() {
        minimalEnv();
        env.put("INFRASAGE_SEVERITY_WARNING_FROM", "0.3");
        env.put("INFRASAGE_SEVERITY_ERROR_FROM", "0.5");
        env.put("INFRASAGE_SEVERITY_CRITICAL_FROM", "0.9");
        env.put("INFRASAGE_MIN_SEVERITY", "error");

        BundleSettings s = load();

        assertThat(s.severityPolicy.minimum()).isEqualTo("error");
        assertThat(s.severityPolicy.severityFor(0.45)).isNull();
        assertThat(s.severityPolicy.severityFor(0.5)).isEqualTo("error");
        assertThat(s.severityPolicy.severityFor(0.89)).isEqualTo("error");
        assertThat(s.severityPolicy.severityFor(0.9)).isEqualTo("critical");
    }

    @Test
    void severityBandsThatDoNotRiseAreAProblem() {
        minimalEnv();
        env.put("INFRASAGE_SEVERITY_WARNING_FROM", "0.7");

        // reported under the band settings themselves, naming each with its value
        assertThat(failure().problems()).singleElement().asString().startsWith("INFRASAGE_SEVERITY_WARNING_FROM")
                .contains("(0.7)").contains("INFRASAGE_SEVERITY_ERROR_FROM (0.6)").contains("must rise");
    }

    @Test
    void negativeDurationsAreAProblem() {
        minimalEnv();
        env.put("PAGERDUTY_RETRY_INITIAL_DELAY", "-5s");
        env.put("PAGERDUTY_RETRY_MAX_DELAY", "PT-1S");

        assertThat(failure().problems()).hasSize(2).allSatisfy(p -> assertThat(p).contains("must not be negative"));
    }

    @Test
    void aBadServiceKeyIsReportedWithoutItsValue() {
        String badKey = SERVICE_KEY.substring(1);
        env.put("PAGERDUTY_SERVICE_KEY", badKey);
        env.put("PAGERDUTY_WEBHOOK_SECRETS", WEBHOOK_SECRET);
        env.put("INFRASAGE_API_TOKEN", API_TOKEN);

        InvalidConfigurationException e = failure();

        assertThat(e.problems()).singleElement().asString().startsWith("PAGERDUTY_ROUTING_RULES").contains("31 characters");
        assertThat(e.getMessage()).doesNotContain(badKey).doesNotContain(badKey.substring(0, 20));
    }

    @Test
    void malformedRoutingRulesAreReportedWithoutTheKeysInThem() {
        minimalEnv();
        String key = "k".repeat(28) + "SCRT";
        env.put("PAGERDUTY_ROUTING_RULES", "[{\"service_pattern\":\"*\",\"service_key\":" + key + "}]");

        InvalidConfigurationException e = failure();

        assertThat(e.problems()).singleElement().asString().startsWith("PAGERDUTY_ROUTING_RULES").contains("not valid JSON");
        assertThat(e.getMessage()).doesNotContain(key).doesNotContain("SCRT");
    }

    @Test
    void otherSecretsAreNotEchoedWhenOtherSettingsFail() {
        minimalEnv();
        env.put("PAGERDUTY_API_TOKEN", "u+api-token-value-42");
        env.put("CLICKHOUSE_PASSWORD", "ch-password-value-43");
        env.put("INFRASAGE_API_TOKEN", "ingest-token-value-44");
        env.put("PAGERDUTY_CONCURRENCY", "-1");

        InvalidConfigurationException e = failure();

        assertThat(e.getMessage()).contains("PAGERDUTY_CONCURRENCY").doesNotContain("api-token-value")
                .doesNotContain("ch-password-value").doesNotContain("ingest-token-value").doesNotContain(WEBHOOK_SECRET)
                .doesNotContain(SERVICE_KEY);
    }

    @Test
    void optionalTokensAndPasswordAreReadAndTrimmed() {
        minimalEnv();
        env.put("PAGERDUTY_API_TOKEN", " tok ");
        env.put("INFRASAGE_API_TOKEN", "ingest");
        env.put("CLICKHOUSE_PASSWORD", "pw");
        env.put("INFRASAGE_DATA_DIR", "/var/lib/infrasage");

        BundleSettings s = load();

        assertThat(s.apiToken).contains("tok");
        assertThat(s.ingestToken).contains("ingest");
        assertThat(s.clickHousePassword).isEqualTo("pw");
        assertThat(s.dataDir).isEqualTo(Path.of("/var/lib/infrasage"));
    }

    @Test
    void commaListsDropEmptyEntries() {
        assertThat(Setting.Type.LIST.read(",a,, b ,")).containsExactly("a", "b");
    }

    @Test
    void everyDefaultIsAValueOfItsSettingsType() {
        assertThat(BundleSettings.ALL).isNotEmpty().allSatisfy(s -> assertThat(s.byDefault()).isNotNull());
    }

    @Test
    void changeEventsGoToTheEventsUrlWithChangeEnqueueInPlaceOfEnqueue() {
        minimalEnv();
        assertThat(load().changeEventsUrl).isEqualTo(URI.create("https://events.pagerduty.com/v2/change/enqueue"));
        env.put("PAGERDUTY_EVENTS_URL", "https://events.eu.pagerduty.com/v2/enqueue");
        assertThat(load().changeEventsUrl).isEqualTo(URI.create("https://events.eu.pagerduty.com/v2/change/enqueue"));
        env.put("PAGERDUTY_EVENTS_URL", "http://127.0.0.1:18080/v2/enqueue");
        assertThat(load().changeEventsUrl).isEqualTo(URI.create("http://127.0.0.1:18080/v2/change/enqueue"));
        env.put("PAGERDUTY_EVENTS_URL", "https://proxy.internal/pagerduty/events");
        assertThat(load().changeEventsUrl).isEqualTo(URI.create("https://proxy.internal/v2/change/enqueue"));
    }

    @Test
    void symptomInhibitionIsOffByDefaultWithAThirtyMinuteWindowAndAZeroWindowIsRefused() {
        minimalEnv();
        BundleSettings s = load();
        assertThat(s.inhibitSymptoms).isFalse();
        assertThat(s.inhibitWindow).isEqualTo(Duration.ofMinutes(30));
        assertThat(s.inhibitNoteInterval).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.apiFrom).isEmpty();
        env.put("INFRASAGE_INHIBIT_SYMPTOMS", "true");
        env.put("INFRASAGE_INHIBIT_WINDOW", "10m");
        env.put("PAGERDUTY_API_FROM", "bot@example.com");
        s = load();
        assertThat(s.inhibitSymptoms).isTrue();
        assertThat(s.inhibitWindow).isEqualTo(Duration.ofMinutes(10));
        assertThat(s.apiFrom).contains("bot@example.com");
        env.put("INFRASAGE_INHIBIT_WINDOW", "0s");
        assertThat(failure().problems()).singleElement().asString().startsWith("INFRASAGE_INHIBIT_WINDOW");
    }
}
