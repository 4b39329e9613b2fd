package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;
import io.infrasage.pagerduty.testing.BundleProcess;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundle's JVM as a minimal container runs it: no LANG, no LC_ALL (so the platform's file-name encoding is ASCII),
 * the seed's rules ending in a catch-all and no PAGERDUTY_SERVICE_KEY. What an attacker with ordinary skills tries.
 */
class HardenedBundleIT {

    static final String PAYMENTS = "P".repeat(28) + "pay9";
    static final String DEFAULT = "D".repeat(28) + "def9";
    static final String RULES = "[{\"service_pattern\":\"payment-*\",\"service_key\":\"" + PAYMENTS + "\",\"team\":\"payments\"},"
            + "{\"service_pattern\":\"*\",\"service_key\":\"" + DEFAULT + "\",\"team\":\"default\"}]";
    static final Set<String> LOCALE = Set.of("LANG", "LC_ALL", "LC_CTYPE", "LANGUAGE", "PAGERDUTY_SERVICE_KEY");
    private static final ObjectMapper JSON = new ObjectMapper();

    static PagerDutySandbox sandbox;
    static BundleProcess bundle;
    static Path log;
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        sandbox = PagerDutySandbox.builder().port(0).start();
        log = Files.createDirectories(LocalClickHouse.projectRoot().resolve("target")).resolve("hardened-bundle.log");
        Files.deleteIfExists(log);
        data = Files.createTempDirectory("hardened").resolve("data");
        Map<String, String> env = new HashMap<>();
        env.put("CLICKHOUSE_URL", LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase("it_hard")));
        env.put("PAGERDUTY_EVENTS_URL", sandbox.eventsUrl());
        env.put("PAGERDUTY_ROUTING_RULES", RULES);
        env.put("PAGERDUTY_WEBHOOK_SECRETS", "hardened-secret");
        env.put("INFRASAGE_DATA_DIR", data.toString());
        // the launcher prints the JVM's properties into the log: the test can show it ran with an ASCII file-name encoding
        env.put("JDK_JAVA_OPTIONS", "-XshowSettings:properties");
        bundle = BundleProcess.start(env, Map.of(), LOCALE, log);
    }

    @AfterAll
    static void stop() {
        if (bundle != null) {
            bundle.close();
        }
        sandbox.close();
    }

    private static String anomaly(String id, String service) throws Exception {
        return "{\"anomaly_id\":\"" + id + "\",\"service\":" + JSON.writeValueAsString(service) + ",\"score\":0.9}";
    }

    @Test
    void withoutALocaleServicesNamedInAnyScriptPageTheCatchAllTeam() throws Exception {
        assertThat(Files.readString(log)).contains("sun.jnu.encoding = ANSI_X3.4-1968");
        for (String service : new String[] {"café-api", "決済-api"}) {
            String id = "unicode-" + System.nanoTime();

            HttpResponse<String> answer = bundle.postJson("/api/v1/anomalies", anomaly(id, service));

            assertThat(answer.statusCode()).as(service + ": " + answer.body()).isEqualTo(202);
            JsonNode body = JSON.readTree(answer.body());
            assertThat(body.get("teams")).as(service).hasSize(1);
            assertThat(body.get("teams").get(0).get("team").asText()).isEqualTo("default");
            await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.events().stream()
                    .anyMatch(e -> ("infrasage-" + id).equals(e.dedupKey()) && e.status() == 202));
            ReceivedEvent page = sandbox.events().stream().filter(e -> ("infrasage-" + id).equals(e.dedupKey())).findFirst().orElseThrow();
            assertThat(page.routingKey()).isEqualTo(DEFAULT);
            assertThat(page.body().path("payload").path("component").asText()).isEqualTo(service);
        }
    }

    @Test
    void aServiceNameWithAControlCharacterIsRefusedWith400AndPagesNobody() throws Exception {
        for (String service : new String[] {"api\u0000", "pay\u0007ment-api", "api\u007f"}) {
            String id = "control-" + System.nanoTime();

            HttpResponse<String> answer = bundle.postJson("/api/v1/anomalies", anomaly(id, service));

            assertThat(answer.statusCode()).isEqualTo(400);
            assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
            assertThat(answer.body()).contains("/service");
            assertThat(sandbox.events()).noneMatch(e -> ("infrasage-" + id).equals(e.dedupKey()));
        }
    }

    @Test
    void theOutboxFolderAndItsFilesAreReadableOnlyByTheBundlesUser() throws Exception {
        assertThat(bundle.postJson("/api/v1/anomalies", anomaly("modes-" + System.nanoTime(), "payment-api")).statusCode()).isEqualTo(202);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
        for (String file : new String[] {"bundle.db", "bundle.db-wal", "bundle.db-shm"}) {
            assertThat(data.resolve(file)).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(file)))).as(file).isEqualTo("rw-------");
        }
    }

    @Test
    void ambiguousJsonIsRefusedWith400InTheBundlesOwnWordsAndPagesNobody() throws Exception {
        String id = "ambiguous-" + System.nanoTime();
        String[] bodies = {
                "{\"anomaly_id\":\"" + id + "\",\"service\":\"api\",\"score\":0.1,\"score\":0.9}",
                "{\"anomaly_id\":\"" + id + "\",\"service\":\"api\",\"score\":0.9}{\"anomaly_id\":\"x\"}",
                "{\"anomaly_id\":\"" + id + "\",\"service\":\"api\",\"score\":0.9} trailing"};
        for (String body : bodies) {
            HttpResponse<String> answer = bundle.postJson("/api/v1/anomalies", body);

            assertThat(answer.statusCode()).as(body).isEqualTo(400);
            JsonNode json = JSON.readTree(answer.body());
            assertThat(json.get("error").asText()).isEqualTo("invalid anomaly");
            assertThat(answer.body()).doesNotContainIgnoringCase("jackson").doesNotContain("com.fasterxml");
        }
        assertThat(bundle.postJson("/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"a\",\"runbook\":\"b\"}").statusCode())
                .isEqualTo(400);
        assertThat(JSON.readTree(bundle.postJson("/api/v1/anomalies", bodies[0]).body()).get("problems").get(0).asText())
                .startsWith("body has the key 'score' twice");
        // the same id, sent once and unambiguously, is a new page: nothing was remembered from the refused ones
        HttpResponse<String> clean = bundle.postJson("/api/v1/anomalies", anomaly(id, "api"));
        assertThat(clean.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(clean.body()).get("status").asText()).isEqualTo("queued");
    }
}
