package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The batch form of POST /api/v1/anomalies (a JSON array) and of direct:anomaly (a List), end to end: each item is
 * answered as if posted alone, good items page once each and reach ClickHouse, and the good ones cost one commit.
 */
class AnomalyBatchIT {

    static final String KEY = "B".repeat(28) + "bat1";
    static final int MAX = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    static PagerDutySandbox sandbox;
    final LocalClickHouse clickHouse = LocalClickHouse.shared();
    String db;
    RunningBundle bundle;

    @BeforeAll
    static void startSandbox() {
        sandbox = PagerDutySandbox.builder().port(0).start();
    }

    @AfterAll
    static void stopSandbox() {
        sandbox.close();
    }

    @BeforeEach
    void startBundle() {
        sandbox.faults().clear();
        db = LocalClickHouse.uniqueDatabase("it_batch");
        Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(db));
        s.put("pagerduty.events-url", sandbox.eventsUrl());
        s.put("pagerduty.service-key", KEY);
        s.put("anomaly.batch-max", Integer.toString(MAX));
        bundle = RunningBundle.start(s);
    }

    @AfterEach
    void stopBundle() {
        bundle.close();
    }

    static String anomaly(String id, double score) {
        return "{\"anomaly_id\":\"" + id + "\",\"service\":\"payment-api\",\"score\":" + score + "}";
    }

    static String unique(String prefix) {
        return prefix + "-" + System.nanoTime();
    }

    List<ReceivedEvent> delivered(String id) {
        return sandbox.events().stream().filter(e -> ("infrasage-" + id).equals(e.dedupKey()) && e.status() == 202).toList();
    }

    @Test
    void aMixedBatchAnswersEachItemAsIfPostedAloneAndPagesOncePerGoodItem() throws Exception {
        String good = unique("good");
        String badScore = unique("bad-score");
        String noService = unique("no-service");
        String resolved = unique("resolved");
        String low = unique("low");
        String other = unique("other");
        assertThat(bundle.postJson("/api/v1/anomalies", anomaly(resolved, 0.9)).statusCode()).isEqualTo(202);
        assertThat(bundle.postJson("/api/v1/anomalies/" + resolved + "/resolve", "{\"runbook\":\"restart\"}").statusCode()).isEqualTo(202);

        var answer = bundle.postJson("/api/v1/anomalies", "[" + String.join(",", anomaly(good, 0.9), anomaly(badScore, 1.7),
                "{\"anomaly_id\":\"" + noService + "\",\"score\":0.9}", anomaly(good, 0.9), anomaly(resolved, 0.9),
                anomaly(low, 0.2), anomaly(other, 0.65)) + "]");

        assertThat(answer.statusCode()).isEqualTo(207);
        assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode body = JSON.readTree(answer.body());
        assertThat(body.get("accepted").asInt()).isEqualTo(4);
        assertThat(body.get("refused").asInt()).isEqualTo(3);
        JsonNode items = body.get("items");
        assertThat(items).hasSize(7);
        for (int i = 0; i < items.size(); i++) {
            assertThat(items.get(i).get("index").asInt()).isEqualTo(i);
        }
        assertItem(items.get(0), 202, good, "queued");
        assertThat(items.get(0).get("severity").asText()).isEqualTo("critical");
        assertThat(items.get(0).get("dedup_key").asText()).isEqualTo("infrasage-" + good);
        assertThat(items.get(0).get("teams").get(0).get("routing_key").asText()).isEqualTo("****bat1");
        assertThat(items.get(1).get("http_status").asInt()).isEqualTo(400);
        assertThat(items.get(1).get("anomaly_id").asText()).isEqualTo(badScore);
        assertThat(items.get(1).get("error").asText()).isEqualTo("invalid anomaly");
        assertThat(items.get(1).get("problems").toString()).contains("/score").contains("maximum");
        assertThat(items.get(2).get("http_status").asInt()).isEqualTo(400);
        assertThat(items.get(2).get("problems").toString()).contains("service");
        assertItem(items.get(3), 202, good, "duplicate");
        assertItem(items.get(4), 409, resolved, "already_resolved");
        assertThat(items.get(4).get("error").asText()).contains("already resolved");
        assertItem(items.get(5), 202, low, "suppressed");
        assertItem(items.get(6), 202, other, "queued");
        assertThat(items.get(6).get("severity").asText()).isEqualTo("error");
        assertThat(answer.body()).doesNotContain(KEY);

        await().atMost(Duration.ofSeconds(15)).until(() -> delivered(good).size() == 1 && delivered(other).size() == 1);
        assertThat(sandbox.incidentsByKey("infrasage-" + good)).hasSize(1);
        assertThat(sandbox.incidentsByKey("infrasage-" + other)).hasSize(1);
        for (String refusedOrSuppressed : List.of(badScore, noService, low)) {
            assertThat(sandbox.incidentsByKey("infrasage-" + refusedOrSuppressed)).as(refusedOrSuppressed).isEmpty();
        }
        // state rows for the good and suppressed items only; a page's queued row may be folded into its sent row
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(clickHouse.query("SELECT anomaly_id, status FROM " + db
                + ".anomaly_state WHERE anomaly_id IN ('" + String.join("','", good, badScore, noService, low, other)
                + "') AND status IN ('queued', 'sent', 'suppressed') ORDER BY anomaly_id, status FORMAT TSV").lines()
                .map(line -> line.replace("\tsent", "\tqueued")).distinct().toList())
                .containsExactly(good + "\tqueued", low + "\tsuppressed", other + "\tqueued"));
        // the duplicate must not page a second time, however late
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(delivered(good)).hasSize(1));
    }

    private static void assertItem(JsonNode item, int status, String id, String outcome) {
        assertThat(item.get("http_status").asInt()).as("item %s", item).isEqualTo(status);
        assertThat(item.get("anomaly_id").asText()).isEqualTo(id);
        assertThat(item.get("status").asText()).as("item %s", item).isEqualTo(outcome);
    }

    @Test
    void aBatchTakesOneCommitOfTheLocalOutboxAndRepostingItAnswersDuplicate() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < MAX; i++) {
            ids.add(unique("commit-" + i));
        }
        String batch = "[" + String.join(",", ids.stream().map(id -> anomaly(id, 0.9)).toList()) + "]";
        assertThat(bundle.postJson("/api/v1/anomalies", batch).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(15)).until(() -> ids.stream().allMatch(id -> delivered(id).size() == 1));
        // nothing else writes the file once every delivery and its rows are done
        await().atMost(Duration.ofSeconds(15)).until(() -> metric("infrasage_outbox_depth") == 0
                && metric("infrasage_clickhouse_spool_depth") == 0);
        double before = metric("infrasage_outbox_commits_total");

        var again = bundle.postJson("/api/v1/anomalies", batch);

        assertThat(metric("infrasage_outbox_commits_total") - before).as("commits for a batch of %d", MAX).isEqualTo(1.0);
        assertThat(again.statusCode()).isEqualTo(202);
        JsonNode items = JSON.readTree(again.body()).get("items");
        assertThat(items).hasSize(MAX).allSatisfy(item -> assertThat(item.get("status").asText()).isEqualTo("duplicate"));
        assertThat(ids).allSatisfy(id -> assertThat(sandbox.incidentsByKey("infrasage-" + id)).hasSize(1));
    }

    private double metric(String name) {
        String text = bundle.get(bundle.managementUrl("/observe/metrics")).body();
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*})? (\\S+)$").matcher(text);
        assertThat(m.find()).as("%s on /observe/metrics", name).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void anEmptyArrayIs400AndMoreThanTheMaxIs413BothInJsonAndNothingIsPaged() throws Exception {
        var empty = bundle.postJson("/api/v1/anomalies", "[]");
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(empty.body()).get("error").asText()).isEqualTo("invalid batch");

        String id = unique("too-many");
        List<String> items = new ArrayList<>();
        for (int i = 0; i <= MAX; i++) {
            items.add(anomaly(id + "-" + i, 0.9));
        }
        var tooMany = bundle.postJson("/api/v1/anomalies", "[" + String.join(",", items) + "]");
        assertThat(tooMany.statusCode()).isEqualTo(413);
        JsonNode body = JSON.readTree(tooMany.body());
        assertThat(body.get("error").asText()).isEqualTo("batch too large");
        assertThat(body.get("problems").get(0).asText()).contains((MAX + 1) + " anomalies", "at most " + MAX, "INFRASAGE_BATCH_MAX");

        var notAnAnomaly = bundle.postJson("/api/v1/anomalies", "\"an anomaly\"");
        assertThat(notAnAnomaly.statusCode()).isEqualTo(400);
        assertThat(notAnAnomaly.body()).contains("body must be a JSON object");
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).untilAsserted(() ->
                assertThat(sandbox.events()).noneMatch(e -> e.dedupKey() != null && e.dedupKey().startsWith("infrasage-" + id)));
    }

    @Test
    void directAnomalyTakesAListAndAnswersTheSameBody() throws Exception {
        String good = unique("direct");
        String bad = unique("direct-bad");
        Exchange answer = bundle.camel().createProducerTemplate().request("direct:anomaly", exchange -> exchange.getMessage().setBody(
                List.of(Map.of("anomaly_id", good, "service", "payment-api", "score", 0.95), JSON.readTree(anomaly(bad, -1)))));

        assertThat(answer.getException()).isNull();
        assertThat(answer.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(207);
        JsonNode items = JSON.readTree(answer.getMessage().getBody(String.class)).get("items");
        assertItem(items.get(0), 202, good, "queued");
        assertThat(items.get(1).get("http_status").asInt()).isEqualTo(400);
        assertThat(items.get(1).get("anomaly_id").asText()).isEqualTo(bad);
        await().atMost(Duration.ofSeconds(15)).until(() -> delivered(good).size() == 1);
    }
}
