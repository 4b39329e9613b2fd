package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.infrasage.pagerduty.sandbox.Incident;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.sandbox.ReceivedEvent;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, self-healing sync: with INFRASAGE_RECONCILE_INTERVAL short (2 s here, 5 m by default), what PagerDuty lost
 * or never told the bundle ends up right in PagerDuty and in ClickHouse within about one interval.
 */
class SelfHealingSyncIT {

    static final String KEY = "S".repeat(28) + "hea1";
    static final Duration INTERVAL = Duration.ofSeconds(2);
    /** One interval, plus the half-interval grace a fresh change gets for its webhook, plus ClickHouse's write. */
    static final Duration WITHIN_ONE_INTERVAL = INTERVAL.multipliedBy(3).plusSeconds(2);

    private final LocalClickHouse clickHouse = LocalClickHouse.shared();

    @Test
    void aResolveThatPagerDutyAnswered202ButLostIsSentAgainAndEndsResolved() {
        int port = FreePorts.next();
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder()
                .webhook("http://127.0.0.1:" + port + "/api/v1/pagerduty/webhook", List.of(RunningBundle.SECRET)).start();
             RunningBundle bundle = RunningBundle.start(settings(sandbox, port, "it_heal_lost"))) {
            String db = database(bundle);
            String id = "lost-resolve-" + System.nanoTime();
            bundle.postJson("/api/v1/anomalies", anomaly(id));
            await().atMost(Duration.ofSeconds(15)).until(() -> status(db, id).equals("triggered"));

            sandbox.faults().lose(1);
            assertThat(bundle.postJson("/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"restart-pods\"}").statusCode()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(10)).until(() -> resolves(sandbox, id).stream().anyMatch(e -> e.outcome().equals(ReceivedEvent.LOST)));
            long lostAt = System.nanoTime();
            assertThat(sandbox.incidentByKey("infrasage-" + id).orElseThrow().status()).as("PagerDuty lost the resolve").isEqualTo("triggered");

            await().atMost(WITHIN_ONE_INTERVAL).until(() -> sandbox.incidentByKey("infrasage-" + id).orElseThrow().status().equals("resolved"));
            long healedMillis = (System.nanoTime() - lostAt) / 1_000_000;
            System.out.println("lost resolve healed after " + healedMillis + " ms (interval " + INTERVAL.toMillis() + " ms)");

            List<ReceivedEvent> resolves = resolves(sandbox, id);
            assertThat(resolves).extracting(ReceivedEvent::outcome).containsExactly(ReceivedEvent.LOST, ReceivedEvent.RESOLVED);
            assertThat(resolves).extracting(ReceivedEvent::routingKey).containsOnly(KEY);
            await().atMost(Duration.ofSeconds(10)).until(() -> clickHouse.count("SELECT count() FROM " + db
                    + ".audit_log WHERE anomaly_id = '" + id + "' AND action = 'resolve_resent'") == 1);
            assertThat(clickHouse.query("SELECT detail FROM " + db + ".audit_log WHERE anomaly_id = '" + id
                    + "' AND action = 'resolve_resent'")).contains("answered 202").contains("payments(****hea1)").doesNotContain(KEY);
            // the resolve coming back by webhook is the runbook's, and ClickHouse says resolved
            await().atMost(Duration.ofSeconds(10)).until(() -> status(db, id).equals("resolved"));
            assertThat(clickHouse.query("SELECT argMaxIf(resolved_by, version, resolved_by != '') FROM " + db
                    + ".anomaly_state WHERE anomaly_id = '" + id + "'")).isEqualTo("restart-pods");
            assertThat(MetricsIT.Scrape.of(bundle).value("infrasage_reconcile_actions_total", Map.of("action", "resolve_resent")))
                    .isEqualTo(1.0);
        }
    }

    @Test
    void anAcknowledgementWhoseWebhookNeverCameShowsInClickHouseOnce() {
        // no webhook subscription at all: PagerDuty tells the bundle nothing, the REST API is all there is
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().start();
             RunningBundle bundle = RunningBundle.start(settings(sandbox, FreePorts.next(), "it_heal_ack"))) {
            String db = database(bundle);
            String id = "silent-ack-" + System.nanoTime();
            bundle.postJson("/api/v1/anomalies", anomaly(id));
            await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.incidentByKey("infrasage-" + id).isPresent());
            await().atMost(Duration.ofSeconds(10)).until(() -> status(db, id).equals("sent"));

            Incident incident = sandbox.incidentByKey("infrasage-" + id).orElseThrow();
            sandbox.acknowledge(incident.id(), "Alice Example");
            long ackedAt = System.nanoTime();
            await().atMost(WITHIN_ONE_INTERVAL).until(() -> status(db, id).equals("acknowledged"));
            System.out.println("acknowledgement without webhook reached ClickHouse after " + (System.nanoTime() - ackedAt) / 1_000_000 + " ms");

            assertThat(clickHouse.query("SELECT argMaxIf(acknowledged_by, version, acknowledged_by != '') FROM " + db
                    + ".anomaly_state WHERE anomaly_id = '" + id + "'")).isEqualTo("Alice Example");
            assertThat(clickHouse.query("SELECT argMaxIf(incident_id, version, incident_id != '') FROM " + db
                    + ".anomaly_state WHERE anomaly_id = '" + id + "'")).isEqualTo(incident.id());
            assertThat(clickHouse.query("SELECT actor_kind, actor_name FROM " + db + ".audit_log WHERE anomaly_id = '" + id
                    + "' AND action = 'acknowledged'")).isEqualTo("engineer\tAlice Example");
            // once: later runs find ClickHouse right and write nothing more
            MetricsIT.Scrape before = MetricsIT.Scrape.of(bundle);
            double runs = before.value("infrasage_reconcile_runs_total", Map.of("outcome", "completed"));
            await().atMost(WITHIN_ONE_INTERVAL.multipliedBy(2)).until(() -> MetricsIT.Scrape.of(bundle)
                    .value("infrasage_reconcile_runs_total", Map.of("outcome", "completed")) >= runs + 2);
            assertThat(clickHouse.count("SELECT count() FROM " + db + ".audit_log WHERE anomaly_id = '" + id
                    + "' AND action = 'reconciled'")).isEqualTo(1);
            assertThat(clickHouse.count("SELECT count() FROM " + db + ".audit_log WHERE anomaly_id = '" + id
                    + "' AND action = 'acknowledged'")).isEqualTo(1);
            assertThat(MetricsIT.Scrape.of(bundle).value("infrasage_reconcile_actions_total", Map.of("action", "acknowledged")))
                    .isEqualTo(1.0);
        }
    }

    @Test
    void afterThreeRefusedDeliveriesDisabledTheSubscriptionTheChangesMadeMeanwhileReachClickHouse() {
        int port = FreePorts.next();
        // PagerDuty signs with a secret the bundle does not hold (a rotation gone wrong): every delivery is refused
        try (LogCapture log = new LogCapture();
             PagerDutySandbox sandbox = PagerDutySandbox.builder()
                .webhook("http://127.0.0.1:" + port + "/api/v1/pagerduty/webhook", List.of("the-rotated-secret")).start();
             RunningBundle bundle = RunningBundle.start(settings(sandbox, port, "it_heal_strikes"))) {
            String db = database(bundle);
            String acked = "strike-ack-" + System.nanoTime();
            String resolved = "strike-resolve-" + System.nanoTime();
            bundle.postJson("/api/v1/anomalies", anomaly(acked));
            bundle.postJson("/api/v1/anomalies", anomaly(resolved));
            await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.incidentByKey("infrasage-" + acked).isPresent()
                    && sandbox.incidentByKey("infrasage-" + resolved).isPresent());
            // two incident.triggered deliveries refused, then the acknowledgement: the third strike
            sandbox.acknowledge(sandbox.incidentByKey("infrasage-" + acked).orElseThrow().id(), "Alice Example");
            String subscription = sandbox.webhookSubscriptionIds().get(0);
            await().atMost(Duration.ofSeconds(10)).until(() -> sandbox.disabledWebhookSubscriptions().contains(subscription));
            // made while the subscription is disabled: PagerDuty sends nothing for it
            sandbox.resolve(sandbox.incidentByKey("infrasage-" + resolved).orElseThrow().id(), "Bob Example");
            long resolvedAt = System.nanoTime();
            assertThat(sandbox.awaitWebhooksIdle(Duration.ofSeconds(5))).isTrue();
            assertThat(sandbox.webhookAttempts()).extracting(a -> a.status()).containsExactly(401, 401, 401);

            await().atMost(WITHIN_ONE_INTERVAL).until(() -> status(db, acked).equals("acknowledged") && status(db, resolved).equals("resolved"));
            System.out.println("changes made during the 3-strike trap reached ClickHouse " + (System.nanoTime() - resolvedAt) / 1_000_000
                    + " ms after the last one");
            assertThat(clickHouse.query("SELECT argMaxIf(resolved_by, version, resolved_by != ''), argMaxIf(resolved_by_kind, version, "
                    + "resolved_by_kind != '') FROM " + db + ".anomaly_state WHERE anomaly_id = '" + resolved + "'"))
                    .isEqualTo("Bob Example\tengineer");
            assertThat(clickHouse.count("SELECT count() FROM " + db + ".audit_log WHERE action = 'reconciled' AND anomaly_id IN ('"
                    + acked + "', '" + resolved + "')")).isEqualTo(2);

            // what the operator reads in the log: the third refusal, and PagerDuty's disabled subscription on every run
            assertThat(log.toString()).contains("WEBHOOKS REFUSED: 3 deliveries in a row had no valid signature")
                    .contains("WEBHOOKS DISABLED: PagerDuty lists 1 webhook subscription(s) as inactive: " + subscription)
                    .doesNotContain("the-rotated-secret").doesNotContain(RunningBundle.SECRET);
            MetricsIT.Scrape scrape = MetricsIT.Scrape.of(bundle);
            assertThat(scrape.value("infrasage_webhooks_total", Map.of("outcome", "refused"))).isEqualTo(3.0);
            assertThat(scrape.value("infrasage_webhooks_refused_in_a_row", Map.of())).isEqualTo(3.0);
            assertThat(scrape.value("infrasage_webhook_subscriptions_disabled", Map.of())).isEqualTo(1.0);
            assertThat(scrape.value("infrasage_reconcile_actions_total", Map.of("action", "acknowledged"))).isEqualTo(1.0);
            assertThat(scrape.value("infrasage_reconcile_actions_total", Map.of("action", "resolved"))).isEqualTo(1.0);
            assertThat(scrape.value("infrasage_pagerduty_api_ratelimit_remaining", Map.of())).isBetween(1.0, 959.0);

            // re-enabled in PagerDuty: the next run sees it active again
            sandbox.enableWebhookSubscription(subscription);
            await().atMost(WITHIN_ONE_INTERVAL).until(() -> MetricsIT.Scrape.of(bundle)
                    .value("infrasage_webhook_subscriptions_disabled", Map.of()) == 0.0);
        }
    }

    @Test
    void theSyncPagesThroughPagerDutysListAndStopsBeforeItsRateLimit() {
        // 150 open incidents of other tools first: the lost resolve's incident is on the second page of 100
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().rateLimitPerMinute(1000).restRateLimitPerMinute(40).start()) {
            for (int i = 0; i < 150; i++) {
                RunningBundle.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(sandbox.eventsUrl()))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"routing_key\":\"" + "F".repeat(28) + "fill"
                                + "\",\"event_action\":\"trigger\",\"dedup_key\":\"other-tool-" + i
                                + "\",\"payload\":{\"summary\":\"other\",\"source\":\"x\",\"severity\":\"info\"}}")).build());
            }
            Map<String, String> s = settings(sandbox, FreePorts.next(), "it_heal_pages");
            s.put("infrasage.reconcile-interval", "1s");
            try (RunningBundle bundle = RunningBundle.start(s)) {
                String db = database(bundle);
                String id = "paged-" + System.nanoTime();
                bundle.postJson("/api/v1/anomalies", anomaly(id));
                await().atMost(Duration.ofSeconds(15)).until(() -> status(db, id).equals("sent"));
                sandbox.faults().lose(1);
                bundle.postJson("/api/v1/anomalies/" + id + "/resolve", "{\"runbook\":\"restart-pods\"}");

                await().atMost(Duration.ofSeconds(10)).until(() -> sandbox.incidentByKey("infrasage-" + id).orElseThrow().status()
                        .equals("resolved"));
                assertThat(sandbox.incidents()).hasSizeGreaterThan(150);
                // 40 requests a minute: the sync stops short of the limit, leaving a verification listing its pages, and PagerDuty
                // never has to refuse one
                await().atMost(Duration.ofSeconds(20)).until(() -> MetricsIT.Scrape.of(bundle)
                        .value("infrasage_reconcile_runs_total", Map.of("outcome", "partial")) >= 1);
                assertThat(sandbox.restThrottledCount()).isZero();
                assertThat(MetricsIT.Scrape.of(bundle).value("infrasage_pagerduty_api_ratelimit_remaining", Map.of()))
                        .isBetween(1.0, 10.0);
            }
        }
    }

    @Test
    void withoutAnApiTokenOrWithAZeroIntervalNothingReconciles() {
        String url = clickHouse.jdbcUrl(LocalClickHouse.uniqueDatabase("it_heal_off"));
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().start()) {
            Map<String, String> zero = settings(sandbox, FreePorts.next(), "it_heal_off");
            zero.put("infrasage.reconcile-interval", "0");
            for (Map<String, String> s : List.of(zero, noToken(url, sandbox))) {
                try (RunningBundle bundle = RunningBundle.start(s)) {
                    assertThat(bundle.camel().getRouteController().getRouteStatus("pagerduty-sync").isStarted()).isFalse();
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** The bundle's log lines (log4j2, the backend of the runnable jar) while open. */
    static final class LogCapture implements AutoCloseable {
        private final java.io.StringWriter text = new java.io.StringWriter();
        private final org.apache.logging.log4j.core.appender.WriterAppender appender;

        LogCapture() {
            appender = org.apache.logging.log4j.core.appender.WriterAppender.newBuilder().setName("self-healing-test")
                    .setTarget(text).setLayout(org.apache.logging.log4j.core.layout.PatternLayout.newBuilder()
                            .withPattern("%p %c{1} - %m%n").build()).build();
            appender.start();
            root().addAppender(appender);
        }

        private static org.apache.logging.log4j.core.Logger root() {
            return (org.apache.logging.log4j.core.Logger) org.apache.logging.log4j.LogManager.getRootLogger();
        }

        @Override
        public synchronized String toString() {
            return text.toString();
        }

        @Override
        public void close() {
            root().removeAppender(appender);
            appender.stop();
        }
    }

    private Map<String, String> settings(PagerDutySandbox sandbox, int port, String dbPrefix) {
        Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(LocalClickHouse.uniqueDatabase(dbPrefix)), sandbox);
        s.put("camel.server.port", Integer.toString(port));
        s.put("pagerduty.routing-rules", "[{\"service_pattern\":\"*\",\"service_key\":\"" + KEY + "\",\"team\":\"payments\"}]");
        s.put("infrasage.reconcile-interval", INTERVAL.toMillis() + "ms");
        return s;
    }

    private static Map<String, String> noToken(String url, PagerDutySandbox sandbox) {
        Map<String, String> s = RunningBundle.baseSettings(url);
        s.put("pagerduty.events-url", sandbox.eventsUrl());
        s.put("pagerduty.service-key", KEY);
        s.put("infrasage.reconcile-interval", "1s");
        return s;
    }

    private static String database(RunningBundle bundle) {
        return bundle.bean("bundleSettings", io.infrasage.pagerduty.config.BundleSettings.class).clickHouseDatabase;
    }

    private String status(String db, String id) {
        return clickHouse.query("SELECT argMaxIf(status, version, status != '') FROM " + db + ".anomaly_state WHERE anomaly_id = '"
                + id + "'");
    }

    private static List<ReceivedEvent> resolves(PagerDutySandbox sandbox, String id) {
        return sandbox.events().stream().filter(e -> "resolve".equals(e.eventAction()) && ("infrasage-" + id).equals(e.dedupKey())).toList();
    }

    private static String anomaly(String id) {
        return "{\"anomaly_id\":\"" + id + "\",\"service\":\"payment-api\",\"score\":0.9}";
    }
}
