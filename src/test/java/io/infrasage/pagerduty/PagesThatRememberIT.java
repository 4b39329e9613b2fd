package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.sandbox.Incident;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: a trigger carries what resolved its service before (custom_details.past_resolutions), read from a local
 * view of ClickHouse's incident memory that a webhook's note reaches within seconds; without ClickHouse pages still go
 * out at once, without memory. Real ClickHouse, real HTTP, the sandbox acting as the engineer.
 */
class PagesThatRememberIT {

    static final String KEY = "R".repeat(28) + "memo";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A note must be in the view "within a few seconds". */
    private static final Duration NOTE_TO_VIEW = Duration.ofSeconds(5);

    @Test
    void theNextPageOfAServiceCarriesTheNoteThatResolvedItLastTimeAndOtherServicesCarryNone() throws Exception {
        LocalClickHouse clickHouse = LocalClickHouse.shared();
        String db = LocalClickHouse.uniqueDatabase("it_memory");
        int port = FreePorts.next();
        try (PagerDutySandbox sandbox = sandbox(port);
             RunningBundle bundle = RunningBundle.start(settings(clickHouse.jdbcUrl(db), sandbox, port))) {
            String first = page(bundle, "payment-api", "DB connection pool exhausted");
            Incident incident = incidentOf(sandbox, clickHouse, db, first);
            sandbox.annotate(incident.id(), "Alice Example", "raised the DB pool to 50");
            sandbox.resolve(incident.id(), "Alice Example");
            long resolvedAt = System.nanoTime();
            awaitViewEntries(bundle, 1);
            System.out.printf("PagesThatRememberIT: note in the view %d ms after the resolve%n",
                    (System.nanoTime() - resolvedAt) / 1_000_000);

            String second = "memory-second-" + System.nanoTime();
            JsonNode answer = JSON.readTree(post(bundle, second, "payment-api", "DB connection pool exhausted").body());
            assertThat(answer.path("past_resolutions").asInt()).isEqualTo(1);
            JsonNode past = triggerOf(sandbox, second).at("/payload/custom_details/past_resolutions");
            assertThat(past).hasSize(1);
            assertThat(past.get(0).path("anomaly_id").asText()).isEqualTo(first);
            assertThat(past.get(0).path("resolved_by").asText()).isEqualTo("Alice Example");
            assertThat(past.get(0).path("note").asText()).isEqualTo("Alice Example: raised the DB pool to 50");
            assertThat(past.get(0).path("root_cause").asText()).isEqualTo("DB connection pool exhausted");
            assertThat(past.get(0).path("incident_url").asText()).isEqualTo(incident.json().path("html_url").asText());
            assertThat(past.get(0).path("resolved_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");

            String other = "memory-other-" + System.nanoTime();
            JsonNode otherAnswer = JSON.readTree(post(bundle, other, "search-api", "DB connection pool exhausted").body());
            assertThat(otherAnswer.has("past_resolutions")).isFalse();
            assertThat(triggerOf(sandbox, other).at("/payload/custom_details").has("past_resolutions")).isFalse();
            assertThat(triggerOf(sandbox, other).toString()).doesNotContain("raised the DB pool");

            // verification shows, per incident, how many past resolutions its page carried
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                Map<String, Integer> carried = new HashMap<>();
                JSON.readTree(bundle.get(bundle.url("/api/v1/pagerduty/incidents?status=triggered")).body()).path("incidents")
                        .forEach(i -> carried.put(i.path("anomaly_id").asText(), i.path("past_resolutions").asInt(-1)));
                assertThat(carried).containsEntry(second, 1).containsEntry(other, 0);
            });
            // the sandbox's listing shows what the page carried, for a person trying the local loop
            JsonNode listing = JSON.readTree(RunningBundle.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(sandbox.rootUrl() + "/sandbox/incidents")).GET().build()).body());
            assertThat(listing.path("incidents").findValues("custom_details").stream()
                    .filter(d -> d.path("anomaly_id").asText().equals(second)).findFirst().orElseThrow()
                    .at("/past_resolutions/0/note").asText()).isEqualTo("Alice Example: raised the DB pool to 50");
            assertThat(MetricsIT.Scrape.of(bundle).value("infrasage_page_memory_lookups_total", Map.of("outcome", "attached")))
                    .isEqualTo(1.0);

            // INFRASAGE_PAGE_MEMORY=false: the same memory, another instance, no past resolutions and no lookup at all
            Map<String, String> off = settings(clickHouse.jdbcUrl(db), sandbox, FreePorts.next());
            off.put("infrasage.page-memory", "false");
            try (RunningBundle without = RunningBundle.start(off)) {
                String third = "memory-off-" + System.nanoTime();
                assertThat(JSON.readTree(post(without, third, "payment-api", "DB connection pool exhausted").body())
                        .has("past_resolutions")).isFalse();
                assertThat(triggerOf(sandbox, third).at("/payload/custom_details").has("past_resolutions")).isFalse();
                assertThat(MetricsIT.Scrape.of(without).value("infrasage_page_memory_lookups_total", Map.of())).isZero();
            }
        }
    }

    @Test
    void threeNotesWithDifferentRootCausesComeBackSameRootCauseFirstThenMostRecent() throws Exception {
        LocalClickHouse clickHouse = LocalClickHouse.shared();
        String db = LocalClickHouse.uniqueDatabase("it_memory");
        int port = FreePorts.next();
        try (PagerDutySandbox sandbox = sandbox(port);
             RunningBundle bundle = RunningBundle.start(settings(clickHouse.jdbcUrl(db), sandbox, port))) {
            Map<String, String> byCause = new HashMap<>();
            int entries = 0;
            for (String cause : List.of("DB connection pool exhausted", "GC pauses after the deploy", "Disk full on the log volume")) {
                String id = page(bundle, "checkout-api", cause);
                Incident incident = incidentOf(sandbox, clickHouse, db, id);
                sandbox.annotate(incident.id(), "Bob Example", "fixed: " + cause);
                sandbox.resolve(incident.id(), "Bob Example");
                awaitViewEntries(bundle, ++entries);
                byCause.put(cause, id);
            }

            String next = "memory-ranked-" + System.nanoTime();
            post(bundle, next, "checkout-api", "gc PAUSES after  the deploy");

            JsonNode past = triggerOf(sandbox, next).at("/payload/custom_details/past_resolutions");
            // the same root cause (case and spacing aside) first, then the most recently resolved
            assertThat(past).extracting(p -> p.path("anomaly_id").asText()).containsExactly(
                    byCause.get("GC pauses after the deploy"), byCause.get("Disk full on the log volume"),
                    byCause.get("DB connection pool exhausted"));
            assertThat(past).extracting(p -> p.path("note").asText()).containsExactly(
                    "Bob Example: fixed: GC pauses after the deploy", "Bob Example: fixed: Disk full on the log volume",
                    "Bob Example: fixed: DB connection pool exhausted");
        }
    }

    @Test
    void withClickHouseStoppedAPageStillGoesOutAtOnceWithoutMemoryAndThatIsCounted() throws Exception {
        LocalClickHouse own = LocalClickHouse.privateServer(18163, 19040);
        own.start();
        String db = LocalClickHouse.uniqueDatabase("it_memory_down");
        int port = FreePorts.next();
        try (PagerDutySandbox sandbox = sandbox(port);
             RunningBundle bundle = RunningBundle.start(settings(own.jdbcUrl(db), sandbox, port))) {
            String first = page(bundle, "payment-api", "DB connection pool exhausted");
            Incident incident = incidentOf(sandbox, own, db, first);
            sandbox.annotate(incident.id(), "Alice Example", "raised the DB pool to 50");
            sandbox.resolve(incident.id(), "Alice Example");
            awaitViewEntries(bundle, 1);
            // with ClickHouse up, the memory is there: what follows is its absence, not a test that cannot fail
            String remembered = "memory-up-" + System.nanoTime();
            post(bundle, remembered, "payment-api", "DB connection pool exhausted");
            assertThat(triggerOf(sandbox, remembered).at("/payload/custom_details/past_resolutions")).hasSize(1);

            own.stop();
            // the view goes stale after 5 missed refreshes of 200 ms
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    MetricsIT.Scrape.of(bundle).value("infrasage_page_memory_age_seconds", Map.of()) > 1.0);
            // the first page may have come before the view's first refresh: count from here
            double unavailableBefore = MetricsIT.Scrape.of(bundle).value("infrasage_page_memory_lookups_total",
                    Map.of("outcome", "unavailable"));
            String down = "memory-down-" + System.nanoTime();
            long start = System.nanoTime();
            var answer = post(bundle, down, "payment-api", "DB connection pool exhausted");
            long acceptMillis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("PagesThatRememberIT: accepted in %d ms with ClickHouse stopped%n", acceptMillis);

            assertThat(answer.statusCode()).isEqualTo(202);
            assertThat(JSON.readTree(answer.body()).has("past_resolutions")).isFalse();
            assertThat(acceptMillis).isLessThan(1000);
            JsonNode trigger = triggerOf(sandbox, down);
            assertThat(trigger.at("/payload/custom_details").has("past_resolutions")).isFalse();
            assertThat(trigger.at("/payload/custom_details/anomaly_id").asText()).isEqualTo(down);
            assertThat(MetricsIT.Scrape.of(bundle).value("infrasage_page_memory_lookups_total", Map.of("outcome", "unavailable")))
                    .isEqualTo(unavailableBefore + 1);
        } finally {
            own.stop();
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static PagerDutySandbox sandbox(int bundlePort) {
        return PagerDutySandbox.builder().port(0).webhookRetryBackoff(Duration.ofMillis(100))
                .webhook("http://127.0.0.1:" + bundlePort + "/api/v1/pagerduty/webhook", List.of(RunningBundle.SECRET)).start();
    }

    private static Map<String, String> settings(String clickHouseUrl, PagerDutySandbox sandbox, int port) {
        Map<String, String> s = RunningBundle.baseSettings(clickHouseUrl, sandbox);
        s.put("camel.server.port", Integer.toString(port));
        s.put("pagerduty.service-key", KEY);
        s.put("infrasage.page-memory-refresh", "200ms");
        return s;
    }

    private static java.net.http.HttpResponse<String> post(RunningBundle bundle, String id, String service, String rootCause) {
        var answer = bundle.postJson("/api/v1/anomalies", "{\"anomaly_id\":\"" + id + "\",\"service\":\"" + service
                + "\",\"score\":0.92,\"metric\":\"CPU\",\"root_cause\":\"" + rootCause + "\"}");
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        return answer;
    }

    private static String page(RunningBundle bundle, String service, String rootCause) {
        String id = "memory-" + service + "-" + System.nanoTime();
        post(bundle, id, service, rootCause);
        return id;
    }

    /** The anomaly's incident, once its page's state is in ClickHouse (incident memory reads its service from there). */
    private static Incident incidentOf(PagerDutySandbox sandbox, LocalClickHouse clickHouse, String db, String anomalyId) {
        await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.incidentByKey("infrasage-" + anomalyId).isPresent()
                && clickHouse.count("SELECT count() FROM " + db + ".anomaly_state WHERE anomaly_id = '" + anomalyId
                + "' AND service != ''") > 0);
        return sandbox.incidentByKey("infrasage-" + anomalyId).orElseThrow();
    }

    private static JsonNode triggerOf(PagerDutySandbox sandbox, String anomalyId) {
        await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.events().stream()
                .anyMatch(e -> e.dedupKey().equals("infrasage-" + anomalyId) && e.status() == 202));
        List<ReceivedEvent> triggers = sandbox.events().stream()
                .filter(e -> e.dedupKey().equals("infrasage-" + anomalyId) && e.eventAction().equals("trigger")).toList();
        assertThat(triggers).hasSize(1);
        return triggers.get(0).body();
    }

    private static void awaitViewEntries(RunningBundle bundle, int entries) {
        await().atMost(NOTE_TO_VIEW).pollInterval(Duration.ofMillis(50)).until(() ->
                MetricsIT.Scrape.of(bundle).value("infrasage_page_memory_entries", Map.of()) >= entries);
    }
}
