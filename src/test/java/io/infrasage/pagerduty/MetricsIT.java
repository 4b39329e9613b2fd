package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The issue's metrics, as Prometheus scrapes them from the management port's /observe/metrics after real traffic:
 * anomalies by outcome, PagerDuty calls by status with latency, the outbox's depth and oldest age, webhooks by type
 * and outcome, ClickHouse write latency and failures, the ClickHouse spool. Also checks the Grafana dashboard only
 * queries series the bundle exports.
 */
class MetricsIT {

    static final String KEY = "M".repeat(28) + "metr";
    private static final ObjectMapper JSON = new ObjectMapper();

    static PagerDutySandbox sandbox;
    static RunningBundle bundle;
    /** Scraped while PagerDuty answered 503 and one page waited in the outbox. */
    static Scrape stuck;
    /** Scraped after all traffic was handled. */
    static Scrape scrape;

    @BeforeAll
    static void driveTrafficAndScrape() throws Exception {
        int port = FreePorts.next();
        sandbox = PagerDutySandbox.builder().port(0).webhookRetryBackoff(Duration.ofMillis(100))
                .webhook("http://127.0.0.1:" + port + "/api/v1/pagerduty/webhook", List.of(RunningBundle.SECRET)).start();
        Map<String, String> s = RunningBundle.baseSettings(LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase("it_metrics")));
        s.put("camel.server.port", Integer.toString(port));
        s.put("pagerduty.events-url", sandbox.eventsUrl());
        s.put("pagerduty.service-key", KEY);
        // waits for PagerDuty's 202 so a delivered page answers "sent"; one held back by 503s answers "queued"
        s.put("anomaly.delivery-wait", "3s");
        bundle = RunningBundle.start(s);
        // the first page of a fresh JVM can take seconds (class loading, connection pools): not the one measured
        String warmUp = "metrics-warm-up-" + System.nanoTime();
        assertThat(bundle.postJson("/api/v1/anomalies", anomaly(warmUp, 0.9)).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.incidentByKey("infrasage-" + warmUp).isPresent());

        String sent = "metrics-sent-" + System.nanoTime();
        assertThat(status(bundle.postJson("/api/v1/anomalies", anomaly(sent, 0.9)).body())).isEqualTo("sent");
        assertThat(status(bundle.postJson("/api/v1/anomalies", anomaly(sent, 0.9)).body())).isEqualTo("duplicate");
        assertThat(status(bundle.postJson("/api/v1/anomalies", anomaly("metrics-low-" + System.nanoTime(), 0.1)).body()))
                .isEqualTo("suppressed");
        assertThat(bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"no service\",\"score\":7}").statusCode()).isEqualTo(400);

        sandbox.faults().respond(503, 1000);
        assertThat(status(bundle.postJson("/api/v1/anomalies", anomaly("metrics-queued-" + System.nanoTime(), 0.9)).body()))
                .isEqualTo("queued");
        // the answer came after the 3 s wait: the page has waited in the outbox at least that long
        stuck = Scrape.of(bundle);
        sandbox.faults().clear();

        // webhooks: PagerDuty's signed incident.triggered for both pages, one repeat, one forgery
        await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.incidents().size() == 3 && sandbox.awaitWebhooksIdle(Duration.ofSeconds(5))
                && sandbox.webhookAttempts().stream().filter(a -> a.status() == 200).count() >= 3);
        sandbox.redeliver(sandbox.webhookAttempts().get(0).eventId(), 1);
        assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(10))).isTrue();
        String forged = "{\"event\":{\"id\":\"01FORGED\",\"event_type\":\"incident.acknowledged\",\"resource_type\":\"incident\","
                + "\"occurred_at\":\"2026-11-26T10:00:00.000Z\",\"data\":{\"id\":\"QFORGED\",\"type\":\"incident\"}}}";
        assertThat(sandbox.sendRawWebhook(forged, Map.of("X-PagerDuty-Signature", "v1=" + "0".repeat(64)))).isEqualTo(401);
        await().atMost(Duration.ofSeconds(10)).until(() -> Scrape.of(bundle).value("infrasage_clickhouse_spool_depth", Map.of()) == 0);
        scrape = Scrape.of(bundle);
    }

    @AfterAll
    static void stop() {
        if (bundle != null) {
            bundle.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void anomaliesAreCountedByOutcome() {
        // the warm-up page answered "sent" or "queued"
        assertThat(scrape.value("infrasage_anomalies_total", Map.of("outcome", "sent"))).isGreaterThanOrEqualTo(1.0);
        assertThat(scrape.value("infrasage_anomalies_total", Map.of("outcome", "queued"))).isGreaterThanOrEqualTo(1.0);
        assertThat(scrape.value("infrasage_anomalies_total", Map.of())).as("all six posts").isEqualTo(6.0);
        for (String outcome : List.of("suppressed", "duplicate", "rejected")) {
            assertThat(scrape.value("infrasage_anomalies_total", Map.of("outcome", outcome))).as("anomalies %s", outcome).isEqualTo(1.0);
        }
    }

    @Test
    void pagerDutyCallsAreCountedByStatusWithTheirLatency() {
        assertThat(scrape.value("infrasage_pagerduty_requests_seconds_count", Map.of("status", "202"))).isGreaterThanOrEqualTo(2.0);
        assertThat(scrape.value("infrasage_pagerduty_requests_seconds_count", Map.of("status", "503"))).isGreaterThanOrEqualTo(1.0);
        assertThat(scrape.value("infrasage_pagerduty_requests_seconds_sum", Map.of("status", "202"))).isPositive();
        assertThat(scrape.value("infrasage_pagerduty_requests_seconds", Map.of("status", "202", "quantile", "0.5"))).isPositive();
        assertThat(scrape.value("infrasage_pagerduty_requests_seconds", Map.of("status", "202", "quantile", "0.99"))).isPositive();
    }

    @Test
    void outboxDepthAndTheAgeOfItsOldestEventShowAPageWaitingForPagerDuty() {
        assertThat(stuck.value("infrasage_outbox_depth", Map.of())).isEqualTo(1.0);
        assertThat(stuck.value("infrasage_outbox_oldest_age_seconds", Map.of())).isGreaterThanOrEqualTo(2.0);
        assertThat(scrape.value("infrasage_outbox_depth", Map.of())).isZero();
        assertThat(scrape.value("infrasage_outbox_oldest_age_seconds", Map.of())).isZero();
    }

    @Test
    void webhooksAreCountedByTypeAndOutcome() {
        assertThat(scrape.value("infrasage_webhooks_total", Map.of("event_type", "incident.triggered", "outcome", "processed")))
                .isEqualTo(sandbox.incidents().size());
        assertThat(scrape.value("infrasage_webhooks_total", Map.of("event_type", "incident.triggered", "outcome", "duplicate")))
                .isEqualTo(1.0);
        assertThat(scrape.value("infrasage_webhooks_total", Map.of("outcome", "refused"))).isEqualTo(1.0);
    }

    @Test
    void clickHouseWritesAreTimedAndFailuresAreExportedBeforeTheFirstOne() {
        assertThat(scrape.value("infrasage_clickhouse_write_seconds_count", Map.of("outcome", "ok"))).isGreaterThanOrEqualTo(1.0);
        assertThat(scrape.value("infrasage_clickhouse_write_seconds_sum", Map.of("outcome", "ok"))).isPositive();
        assertThat(scrape.value("infrasage_clickhouse_write_seconds_count", Map.of("outcome", "failed"))).isZero();
        assertThat(scrape.value("infrasage_clickhouse_spool_depth", Map.of())).isZero();
    }

    @Test
    void incidentMemorySeriesAreExportedFromTheStart() {
        for (String outcome : List.of("attached", "none", "unavailable")) {
            assertThat(scrape.value("infrasage_page_memory_lookups_total", Map.of("outcome", outcome))).as(outcome).isNotNegative();
        }
        // each of the four pages (warm-up, sent, its duplicate, queued) looked its service up; the duplicate too, before
        // the outbox recognised it
        assertThat(scrape.value("infrasage_page_memory_lookups_total", Map.of())).isEqualTo(4.0);
        assertThat(scrape.value("infrasage_page_memory_age_seconds", Map.of())).isBetween(0.0, 10.0);
        assertThat(scrape.value("infrasage_page_memory_entries", Map.of())).isZero();
    }

    @Test
    void theGrafanaDashboardIsValidJsonAndOnlyQueriesSeriesTheBundleExports() throws IOException {
        String text = Files.readString(LocalClickHouse.projectRoot().resolve("dashboards/infrasage-pagerduty.json"));
        JsonNode dashboard = JSON.readTree(text);
        JsonNode variables = dashboard.at("/templating/list");
        assertThat(variables.findValuesAsText("name")).contains("datasource");
        assertThat(variables.findValues("type")).extracting(JsonNode::asText).contains("datasource");

        List<String> expressions = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            assertThat(panel.at("/datasource/uid").asText()).as("datasource of panel '%s'", panel.path("title").asText())
                    .isEqualTo("${datasource}");
            assertThat(panel.path("targets")).as("queries of panel '%s'", panel.path("title").asText()).isNotEmpty();
            for (JsonNode target : panel.get("targets")) {
                expressions.add(target.path("expr").asText());
            }
        }
        assertThat(expressions).isNotEmpty().noneMatch(String::isBlank);
        // every series named anywhere in the dashboard: panel queries and the instance variable's query
        Set<String> used = new TreeSet<>();
        Matcher m = Pattern.compile("\\binfrasage_[a-z0-9_]+").matcher(text);
        while (m.find()) {
            used.add(m.group());
        }
        assertThat(used).as("series the dashboard queries").isNotEmpty();
        assertThat(scrape.names()).as("series the bundle exports").containsAll(used);
        // each family of the issue has a panel
        assertThat(used).contains("infrasage_anomalies_total", "infrasage_pagerduty_requests_seconds_count",
                "infrasage_pagerduty_requests_seconds", "infrasage_outbox_depth", "infrasage_outbox_oldest_age_seconds",
                "infrasage_webhooks_total", "infrasage_clickhouse_write_seconds_count", "infrasage_clickhouse_spool_depth");
    }

    private static String anomaly(String id, double score) {
        return "{\"anomaly_id\":\"" + id + "\",\"service\":\"payment-api\",\"score\":" + score + "}";
    }

    private static String status(String answer) throws IOException {
        return JSON.readTree(answer).path("status").asText();
    }

    /** One scrape of /observe/metrics in the Prometheus text format. */
    record Scrape(List<Sample> samples) {
        private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+\\d+)?$");
        private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

        record Sample(String name, Map<String, String> labels, double value) {
        }

        static Scrape of(RunningBundle bundle) {
            var answer = bundle.get(bundle.managementUrl("/observe/metrics"));
            assertThat(answer.statusCode()).isEqualTo(200);
            List<Sample> samples = new ArrayList<>();
            for (String line : answer.body().split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                Matcher m = LINE.matcher(line.strip());
                assertThat(m.matches()).as("Prometheus sample line: %s", line).isTrue();
                Map<String, String> labels = new LinkedHashMap<>();
                if (m.group(2) != null) {
                    Matcher l = LABEL.matcher(m.group(2));
                    while (l.find()) {
                        labels.put(l.group(1), l.group(2));
                    }
                }
                samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
            }
            return new Scrape(samples);
        }

        Set<String> names() {
            Set<String> names = new TreeSet<>();
            samples.forEach(s -> names.add(s.name()));
            return names;
        }

        /** The sum over every sample of {@code name} whose labels include {@code labels}; fails when there is none. */
        double value(String name, Map<String, String> labels) {
            List<Sample> matching = samples.stream().filter(s -> s.name().equals(name)
                    && s.labels().entrySet().containsAll(labels.entrySet())).toList();
            assertThat(matching).as("series %s%s on /observe/metrics (exported: %s)", name, labels,
                    names().stream().filter(n -> n.startsWith("infrasage_")).toList()).isNotEmpty();
            return matching.stream().mapToDouble(Sample::value).sum();
        }
    }
}
