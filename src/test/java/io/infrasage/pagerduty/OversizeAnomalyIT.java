package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, "never refuse a page for size", tried as a new user would: an anomaly too large in a field other than its
 * identity pages once, within PagerDuty's limits (the sandbox validates them as PagerDuty does), and the answer and the
 * page say what was cut.
 */
class OversizeAnomalyIT {

    static final String KEY = "O".repeat(28) + "size";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGERDUTY_MAX_EVENT_BYTES = 512 * 1024;

    static PagerDutySandbox sandbox;
    static RunningBundle bundle;

    @BeforeAll
    static void start() {
        sandbox = PagerDutySandbox.builder().port(0).start();
        Map<String, String> s = RunningBundle.baseSettings(LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase("it_oversize")));
        s.put("pagerduty.events-url", sandbox.eventsUrl());
        s.put("pagerduty.service-key", KEY);
        bundle = RunningBundle.start(s);
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
    void anAnomalyWhoseBlastRadiusLists6000ServicesPagesOnceWithinPagerDutysLimitsAndSaysWhatWasCut() throws Exception {
        String id = "oversize-blast-" + System.nanoTime();
        // 6,000 service names of about 100 characters: a 600 KB body
        String services = IntStream.range(0, 6000).mapToObj(i -> "\"" + String.format("svc-%05d-", i) + "x".repeat(90) + "\"")
                .collect(Collectors.joining(",", "[", "]"));
        String body = "{\"anomaly_id\":\"" + id + "\",\"service\":\"payment-api\",\"score\":0.95,\"metric\":\"CPU\","
                + "\"root_cause\":\"DB pool exhausted\",\"blast_radius\":" + services + "}";
        assertThat(body.getBytes(StandardCharsets.UTF_8).length).isGreaterThan(600 * 1024);

        var answer = bundle.postJson("/api/v1/anomalies", body);

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        JsonNode json = JSON.readTree(answer.body());
        assertThat(json.path("status").asText()).isEqualTo("queued");
        assertThat(json.path("cut")).extracting(JsonNode::asText).containsExactly("blast_radius: 6,000 items, the first 1,000 kept");
        ReceivedEvent trigger = pagedOnce(id);
        assertThat(trigger.body().toString().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(PAGERDUTY_MAX_EVENT_BYTES);
        JsonNode details = trigger.body().at("/payload/custom_details");
        assertThat(details.path("blast_radius")).hasSize(1001);
        assertThat(details.path("blast_radius").get(0).asText()).startsWith("svc-00000-");
        assertThat(details.path("blast_radius").get(1000).asText()).isEqualTo("… and 5,000 more");
        assertThat(details.path("cut")).extracting(JsonNode::asText).containsExactly("blast_radius: 6,000 items, the first 1,000 kept");
        assertThat(details.path("root_cause").asText()).isEqualTo("DB pool exhausted");
    }

    @Test
    void anAnomalyWithA2000CharacterMetricPagesOnceWithinPagerDutysLimitsAndSaysWhatWasCut() throws Exception {
        String id = "oversize-metric-" + System.nanoTime();
        String body = "{\"anomaly_id\":\"" + id + "\",\"service\":\"payment-api\",\"score\":0.95,\"value\":87,\"unit\":\"%\","
                + "\"metric\":\"" + "m".repeat(2000) + "\"}";

        var answer = bundle.postJson("/api/v1/anomalies", body);

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        assertThat(JSON.readTree(answer.body()).path("cut")).extracting(JsonNode::asText)
                .containsExactly("metric: 2,000 characters cut to 200");
        ReceivedEvent trigger = pagedOnce(id);
        String summary = trigger.body().at("/payload/summary").asText();
        assertThat(summary).hasSizeLessThanOrEqualTo(1024).startsWith("m".repeat(199) + "… anomaly on payment-api: 87% ");
        assertThat(trigger.body().at("/payload/custom_details/cut")).extracting(JsonNode::asText)
                .containsExactly("metric: 2,000 characters cut to 200");
    }

    @Test
    void identityStillRefusesAServiceNameTooLongIsA400AndNobodyIsPaged() throws Exception {
        String id = "oversize-service-" + System.nanoTime();

        var answer = bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + id + "\",\"service\":\"" + "s".repeat(201)
                + "\",\"score\":0.95}");

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.body()).contains("/service");
        // a page posted after it arrives, so the refused one would have arrived before it
        String after = "oversize-after-" + System.nanoTime();
        bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + after + "\",\"service\":\"payment-api\",\"score\":0.95}");
        pagedOnce(after);
        assertThat(sandbox.events()).noneMatch(e -> e.dedupKey().equals("infrasage-" + id));
    }

    @Test
    void aBodyOverTheServersOneMibIsRefusedBeforeItIsReadAsTheReadmeSays() {
        String id = "oversize-mib-" + System.nanoTime();
        String body = "{\"anomaly_id\":\"" + id + "\",\"service\":\"payment-api\",\"score\":0.95,\"root_cause\":\""
                + "r".repeat(1024 * 1024) + "\"}";

        var answer = bundle.postJson("/api/v1/anomalies", body);

        assertThat(answer.statusCode()).isEqualTo(413);
        assertThat(sandbox.events()).noneMatch(e -> e.dedupKey().equals("infrasage-" + id));
    }

    /** The one trigger the sandbox accepted for the anomaly (202, an incident created), once all have arrived. */
    private static ReceivedEvent pagedOnce(String anomalyId) {
        String dedupKey = "infrasage-" + anomalyId;
        await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.incidentByKey(dedupKey).isPresent());
        List<ReceivedEvent> events = sandbox.events().stream().filter(e -> e.dedupKey().equals(dedupKey)).toList();
        assertThat(events).hasSize(1);
        assertThat(events.get(0).status()).isEqualTo(202);
        assertThat(events.get(0).outcome()).isEqualTo(ReceivedEvent.CREATED);
        assertThat(sandbox.incidentsByKey(dedupKey)).hasSize(1);
        return events.get(0);
    }
}
