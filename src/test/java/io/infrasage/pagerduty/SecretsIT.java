package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.BundleProcess;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/** Secrets never appear in logs or answers; the optional bearer token protects the API. */
class SecretsIT {

    static final String SERVICE_KEY = "S".repeat(26) + "fallbk";
    static final String RULE_KEY = "Q".repeat(26) + "rulekk";
    static final String WEBHOOK_SECRET = "whsec-do-not-print-123";
    static final String INGEST_TOKEN = "ingest-token-do-not-print";

    @Test
    void noSecretReachesTheLogOrAnAnswerAndTheApiTokenIsEnforced() throws Exception {
        Path log = Files.createDirectories(LocalClickHouse.projectRoot().resolve("target")).resolve("secrets-test-bundle.log");
        Files.deleteIfExists(log);
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().port(0).apiToken("rest-token-do-not-print").start()) {
            Map<String, String> env = new HashMap<>();
            env.put("CLICKHOUSE_URL", LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase("it_secret")));
            env.put("PAGERDUTY_EVENTS_URL", sandbox.eventsUrl());
            env.put("PAGERDUTY_API_URL", sandbox.rootUrl());
            env.put("PAGERDUTY_API_TOKEN", sandbox.apiToken());
            env.put("PAGERDUTY_SERVICE_KEY", SERVICE_KEY);
            // a literal property rather than an environment variable: Camel's start-up summary prints those in clear
            Map<String, String> literal = Map.of("pagerduty.routing-rules",
                    "[{\"service_pattern\":\"pay*\",\"service_key\":\"" + RULE_KEY + "\"}]");
            env.put("PAGERDUTY_WEBHOOK_SECRETS", WEBHOOK_SECRET);
            env.put("INFRASAGE_API_TOKEN", INGEST_TOKEN);
            env.put("INFRASAGE_DATA_DIR", Files.createTempDirectory("secrets").toString());
            List<HttpResponse<String>> answers = new ArrayList<>();
            try (BundleProcess bundle = BundleProcess.start(env, literal, log)) {
                String body = "{\"anomaly_id\":\"sec-" + System.nanoTime() + "\",\"service\":\"payments\",\"score\":0.9}";
                HttpResponse<String> noToken = bundle.postJson("/api/v1/anomalies", body);
                assertThat(noToken.statusCode()).isEqualTo(401);
                assertThat(noToken.body()).contains("Authorization: Bearer");
                HttpResponse<String> wrong = bundle.send("/api/v1/anomalies", body, "Bearer not-the-token");
                assertThat(wrong.statusCode()).isEqualTo(401);
                HttpResponse<String> accepted = bundle.send("/api/v1/anomalies", body, "Bearer " + INGEST_TOKEN);
                assertThat(accepted.statusCode()).isEqualTo(202);
                answers.addAll(List.of(noToken, wrong, accepted));
                await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.events().size() == 1);
                answers.add(bundle.send("/api/v1/anomalies", "{\"anomaly_id\":\"bad id\",\"service\":\"payments\",\"score\":2}",
                        "Bearer " + INGEST_TOKEN));
                answers.add(bundle.send("/api/v1/pagerduty/webhook", "{\"event\":{}}", null));
                answers.add(RunningBundle.send(HttpRequest.newBuilder(URI.create(bundle.url("/api/v1/pagerduty/incidents")))
                        .header("Authorization", "Bearer " + INGEST_TOKEN).GET().build()));
                assertThat(answers.get(answers.size() - 1).statusCode()).isEqualTo(200);
            }
            String all = Files.readString(log) + answers.stream().map(r -> r.headers().map() + r.body()).reduce("", String::concat);
            assertThat(all).contains("InfraSage PagerDuty bundle ready");
            for (String secret : List.of(SERVICE_KEY, RULE_KEY, WEBHOOK_SECRET, INGEST_TOKEN, sandbox.apiToken())) {
                assertThat(all).as("secret %s...", secret.substring(0, 4)).doesNotContain(secret);
            }
        }
    }
}
