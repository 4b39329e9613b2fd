package io.infrasage.pagerduty.config;

import static io.infrasage.pagerduty.config.Setting.Type.BOOL;
import static io.infrasage.pagerduty.config.Setting.Type.DURATION;
import static io.infrasage.pagerduty.config.Setting.Type.LIST;
import static io.infrasage.pagerduty.config.Setting.Type.OPTIONAL;
import static io.infrasage.pagerduty.config.Setting.Type.PATH;
import static io.infrasage.pagerduty.config.Setting.Type.POSITIVE_DURATION;
import static io.infrasage.pagerduty.config.Setting.Type.POSITIVE_INT;
import static io.infrasage.pagerduty.config.Setting.Type.SCORE;
import static io.infrasage.pagerduty.config.Setting.Type.TEXT;
import static io.infrasage.pagerduty.config.Setting.Type.URL;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import io.infrasage.pagerduty.anomaly.RoutingRules;
import io.infrasage.pagerduty.anomaly.SeverityPolicy;
import io.infrasage.pagerduty.config.Setting.Type;

/**
 * Every setting of the bundle, each declared once below (key, environment variable, default, type, documentation) with
 * its typed value right under it; read environment first (the seed's names), then the properties, then the default,
 * and validated together so start-up fails once with the whole list of problems. DocumentationTest renders
 * docs/configuration.md's table from these declarations.
 */
public final class BundleSettings extends SettingsReader {

    private static final List<Setting<?>> DECLARED = new ArrayList<>();
    /** Every setting, in the order of docs/configuration.md's table. */
    public static final List<Setting<?>> ALL = Collections.unmodifiableList(DECLARED);

    public static final Setting<URI> EVENTS_URL = setting("pagerduty.events-url", "PAGERDUTY_EVENTS_URL",
            "https://events.pagerduty.com/v2/enqueue", URL, "Events API v2 endpoint (EU: "
            + "`https://events.eu.pagerduty.com/v2/enqueue`); change events go to the same URL with "
            + "`/v2/change/enqueue` in place of its trailing `/v2/enqueue` (any other URL: `/v2/change/enqueue` on "
            + "its host)");
    public final URI eventsUrl = get(EVENTS_URL);
    /** Where change events go: derived from eventsUrl, so the sandbox and EU accounts need no setting of their own. */
    public final URI changeEventsUrl = changeEventsUrl(eventsUrl);
    public static final Setting<URI> API_URL = setting("pagerduty.api-url", "PAGERDUTY_API_URL",
            "https://api.pagerduty.com", URL, "REST API base (EU: `https://api.eu.pagerduty.com`)");
    public final URI apiUrl = get(API_URL);
    public static final Setting<Optional<String>> API_TOKEN = setting("pagerduty.api-token", "PAGERDUTY_API_TOKEN", "",
            OPTIONAL, "REST API key (secret; read-only is enough): verification, full text of trimmed notes, alerts "
            + "of grouped incidents, and the [self-healing sync](sync.md)");
    public final Optional<String> apiToken = get(API_TOKEN);
    public static final Setting<Optional<String>> API_FROM = setting("pagerduty.api-from", "PAGERDUTY_API_FROM", "",
            OPTIONAL, "email of the PagerDuty user the bundle writes as (PagerDuty's `From` header on REST writes): "
            + "with `PAGERDUTY_API_TOKEN` (then a token that may write), root-cause incidents get the \"also "
            + "affected\" notes of symptom inhibition");
    public final Optional<String> apiFrom = get(API_FROM);
    public static final Setting<Integer> API_RATE_LIMIT = setting("pagerduty.api-rate-limit-per-minute",
            "PAGERDUTY_API_RATE_LIMIT_PER_MINUTE", "960", POSITIVE_INT, "REST requests a minute the token may make; "
            + "the bundle never makes more (PagerDuty's own `ratelimit-limit`, when lower, wins) and keeps a quarter "
            + "for verification and the [self-healing sync](sync.md#the-rest-budget). Set it lower when other tools "
            + "use the same token");
    public final int apiRateLimitPerMinute = get(API_RATE_LIMIT);
    public static final Setting<List<String>> SERVICE_IDS = setting("pagerduty.service-ids", "PAGERDUTY_SERVICE_IDS",
            "", LIST, "PagerDuty service ids (comma-separated, e.g. `PABC123,PDEF456`) that the routing keys page. "
            + "Optional: without it the bundle learns them from its own incidents. Webhooks about incidents of other "
            + "services are then answered without a REST lookup ([why](sync.md#the-rest-budget))");
    public final List<String> serviceIds = get(SERVICE_IDS);
    public static final Setting<Optional<String>> SERVICE_KEY = setting("pagerduty.service-key",
            "PAGERDUTY_SERVICE_KEY", "", OPTIONAL, "fallback Events API v2 integration key (32 characters, secret)");
    public static final Setting<String> ROUTING_RULES = setting("pagerduty.routing-rules", "PAGERDUTY_ROUTING_RULES",
            "", TEXT, "[routing rules](#routing-rules), JSON");
    public final RoutingRules routingRules = get(ROUTING_RULES, rules -> RoutingRules.parse(rules, get(SERVICE_KEY).orElse(null)),
            RoutingRules.none());
    public static final Setting<List<String>> WEBHOOK_SECRETS = setting("pagerduty.webhook-secrets",
            "PAGERDUTY_WEBHOOK_SECRETS", "", LIST, "signing secret(s) of the webhook subscription, comma-separated "
            + "during a rotation; required unless `PAGERDUTY_WEBHOOK_INSECURE=true`");
    public final List<String> webhookSecrets = get(WEBHOOK_SECRETS);
    public static final Setting<Boolean> WEBHOOK_INSECURE = setting("pagerduty.webhook-insecure",
            "PAGERDUTY_WEBHOOK_INSECURE", "false", BOOL, "`true` accepts unsigned webhooks when no secret is set "
            + "(local experiments only; warns at start-up)");
    public final boolean webhookInsecure = get(WEBHOOK_INSECURE);
    public static final Setting<Integer> RATE_LIMIT = setting("pagerduty.rate-limit-per-minute",
            "PAGERDUTY_RATE_LIMIT_PER_MINUTE", "120", POSITIVE_INT, "events per routing key in any 60 s window "
            + "(PagerDuty's limit); above it, events queue");
    public final int rateLimitPerMinute = get(RATE_LIMIT);
    public static final Setting<Integer> RATE_BURST = setting("pagerduty.rate-limit-burst",
            "PAGERDUTY_RATE_LIMIT_BURST", "10", POSITIVE_INT, "events per key that may go out at once (the sustained "
            + "pace is limit − burst per minute)");
    public final int rateLimitBurst = get(RATE_BURST);
    public static final Setting<Duration> RETRY_INITIAL = setting("pagerduty.retry-initial-delay",
            "PAGERDUTY_RETRY_INITIAL_DELAY", "1s", DURATION, "first retry after a 5xx or no answer; doubles each "
            + "attempt");
    public final Duration retryInitialDelay = get(RETRY_INITIAL);
    public static final Setting<Duration> RETRY_MAX = setting("pagerduty.retry-max-delay", "PAGERDUTY_RETRY_MAX_DELAY",
            "5m", DURATION, "longest wait between retries");
    public final Duration retryMaxDelay = get(RETRY_MAX);
    public static final Setting<Duration> RETRY_THROTTLED = setting("pagerduty.retry-throttled-delay",
            "PAGERDUTY_RETRY_THROTTLED_DELAY", "30s", DURATION, "wait after a 429 without `Retry-After` (PagerDuty's "
            + "own advice)");
    public final Duration retryThrottledDelay = get(RETRY_THROTTLED);
    public static final Setting<Integer> CONCURRENCY = setting("pagerduty.concurrency", "PAGERDUTY_CONCURRENCY", "16",
            POSITIVE_INT, "events in flight to PagerDuty at once");
    public final int concurrency = get(CONCURRENCY);
    public static final Setting<Double> WARNING_FROM = setting("anomaly.severity.warning-from",
            "INFRASAGE_SEVERITY_WARNING_FROM", "0.4", SCORE, "lowest score that pages, as `warning`");
    public static final Setting<Double> ERROR_FROM = setting("anomaly.severity.error-from",
            "INFRASAGE_SEVERITY_ERROR_FROM", "0.6", SCORE, "lowest `error` score");
    public static final Setting<Double> CRITICAL_FROM = setting("anomaly.severity.critical-from",
            "INFRASAGE_SEVERITY_CRITICAL_FROM", "0.8", SCORE, "lowest `critical` score");
    public static final Setting<String> MIN_SEVERITY = setting("anomaly.minimum-severity", "INFRASAGE_MIN_SEVERITY",
            "warning", TEXT, "lowest severity that pages (`warning`, `error`, `critical`)");
    public final SeverityPolicy severityPolicy = severityPolicy();
    public static final Setting<Optional<String>> INGEST_TOKEN = setting("anomaly.api-token", "INFRASAGE_API_TOKEN", "",
            OPTIONAL, "the anomaly, resolve and verification endpoints require `Authorization: Bearer <token>` "
            + "(secret); the bundle does not start without it unless `INFRASAGE_API_INSECURE=true`");
    public final Optional<String> ingestToken = get(INGEST_TOKEN);
    public static final Setting<Boolean> INGEST_INSECURE = setting("anomaly.api-insecure", "INFRASAGE_API_INSECURE",
            "false", BOOL, "`true` leaves those endpoints open without a token (local experiments only; warns at "
            + "start-up)");
    public final boolean ingestInsecure = get(INGEST_INSECURE);
    public static final Setting<Duration> DELIVERY_WAIT = setting("anomaly.delivery-wait", "INFRASAGE_DELIVERY_WAIT",
            "0ms", DURATION, "how long a post waits for PagerDuty's 202 to answer `sent` instead of `queued`");
    public final Duration deliveryWait = get(DELIVERY_WAIT);
    public static final Setting<Integer> BATCH_MAX = setting("anomaly.batch-max", "INFRASAGE_BATCH_MAX", "1000",
            POSITIVE_INT, "most anomalies in one [batch](api.md#batches) (a JSON array posted to "
            + "`/api/v1/anomalies`); a larger batch is refused whole with `413` (the answer and its one commit grow "
            + "with the batch)");
    public final int batchMax = get(BATCH_MAX);
    public static final Setting<Path> DATA_DIR = setting("infrasage.data-dir", "INFRASAGE_DATA_DIR", "data", PATH,
            "folder of the local outbox `bundle.db` (persistent volume, one per instance; holds routing keys: the "
            + "bundle creates it 0700 and its files 0600, and tightens older ones at start-up); unused in Kafka mode");
    public final Path dataDir = get(DATA_DIR);
    public static final Setting<String> QUEUE = setting("infrasage.queue", "INFRASAGE_QUEUE", "local",
            Type.oneOf("local", "kafka"), "where accepted events wait: `local` (the SQLite file, one instance) or "
            + "`kafka` (several instances, see [Kafka mode](kafka-mode.md))");
    public final String queue = get(QUEUE);
    public static final Setting<String> KAFKA_BOOTSTRAP = setting("kafka.bootstrap-servers", "KAFKA_BOOTSTRAP_SERVERS",
            "", TEXT, "Kafka brokers, e.g. `kafka-1:9092,kafka-2:9092`; required in Kafka mode");
    public final String kafkaBootstrapServers = get(KAFKA_BOOTSTRAP);
    public static final Setting<String> KAFKA_TOPIC_PREFIX = setting("kafka.topic-prefix", "KAFKA_TOPIC_PREFIX",
            "infrasage-pagerduty.", TEXT, "prefix of the topics and consumer groups of Kafka mode");
    public final String kafkaTopicPrefix = get(KAFKA_TOPIC_PREFIX);
    public static final Setting<Integer> KAFKA_PARTITIONS = setting("kafka.partitions", "KAFKA_PARTITIONS", "12",
            POSITIVE_INT, "partitions of the topics the bundle creates (at least the most instances you will run)");
    public final int kafkaPartitions = get(KAFKA_PARTITIONS);
    public static final Setting<Integer> KAFKA_REPLICATION = setting("kafka.replication-factor",
            "KAFKA_REPLICATION_FACTOR", "3", POSITIVE_INT, "replication factor of the topics the bundle creates (`1` "
            + "for a one-broker test cluster)");
    public final int kafkaReplicationFactor = get(KAFKA_REPLICATION);
    public static final Setting<Duration> ACCEPT_TIMEOUT = setting("infrasage.accept-timeout",
            "INFRASAGE_ACCEPT_TIMEOUT", "5s", POSITIVE_DURATION, "Kafka mode: the longest a request waits for Kafka "
            + "(its records acknowledged with `acks=all`, the anomalies topic read to its end); past it the answer "
            + "is `503` with `Retry-After` and nothing is accepted (see [Kafka mode](kafka-mode.md))");
    public final Duration acceptTimeout = get(ACCEPT_TIMEOUT);
    public static final Setting<Boolean> PAGE_MEMORY = setting("infrasage.page-memory", "INFRASAGE_PAGE_MEMORY", "true",
            BOOL, "triggers carry past resolutions of their service in `custom_details.past_resolutions` (see [pages "
            + "that remember](page-memory.md)); `false` turns it off");
    public final boolean pageMemory = get(PAGE_MEMORY);
    public static final Setting<Integer> PAGE_MEMORY_MAX = setting("infrasage.page-memory-max",
            "INFRASAGE_PAGE_MEMORY_MAX", "3", POSITIVE_INT, "past resolutions one page carries at most");
    public final int pageMemoryMax = get(PAGE_MEMORY_MAX);
    public static final Setting<Duration> PAGE_MEMORY_REFRESH = setting("infrasage.page-memory-refresh",
            "INFRASAGE_PAGE_MEMORY_REFRESH", "2s", POSITIVE_DURATION, "how often the local view of incident memory "
            + "is refreshed from ClickHouse (a note is in the next pages within about this long); after 5 missed "
            + "refreshes pages go out without memory");
    public final Duration pageMemoryRefresh = get(PAGE_MEMORY_REFRESH);
    public static final Setting<Boolean> INHIBIT_SYMPTOMS = setting("infrasage.inhibit-symptoms",
            "INFRASAGE_INHIBIT_SYMPTOMS", "false", BOOL, "`true` turns on [symptom inhibition](inhibition.md): an "
            + "anomaly whose service is in the blast radius of an open root cause paged within the window, at least "
            + "as severe and of another service, is not paged (recorded `inhibited`), and is paged if that root "
            + "cause is resolved while it is still open");
    public final boolean inhibitSymptoms = get(INHIBIT_SYMPTOMS);
    public static final Setting<Duration> INHIBIT_WINDOW = setting("infrasage.inhibit-window",
            "INFRASAGE_INHIBIT_WINDOW", "30m", POSITIVE_DURATION, "how long after it was accepted a root cause still "
            + "holds its symptoms back (a root cause older than this does not inhibit new anomalies; those it "
            + "already holds stay held until it is resolved)");
    public final Duration inhibitWindow = get(INHIBIT_WINDOW);
    public static final Setting<Duration> INHIBIT_NOTE_INTERVAL = setting("infrasage.inhibit-note-interval",
            "INFRASAGE_INHIBIT_NOTE_INTERVAL", "10s", POSITIVE_DURATION, "how often the \"also affected\" notes are "
            + "posted to root-cause incidents, one note per incident with every symptom since the last, at most 20 "
            + "notes a round");
    public final Duration inhibitNoteInterval = get(INHIBIT_NOTE_INTERVAL);
    public static final Setting<Duration> RECONCILE_INTERVAL = setting("infrasage.reconcile-interval",
            "INFRASAGE_RECONCILE_INTERVAL", "5m", DURATION, "how often the [self-healing sync](sync.md) compares "
            + "PagerDuty's incidents with ClickHouse and repairs lost resolves and missed webhooks; `0` turns it "
            + "off. Runs only when `PAGERDUTY_API_TOKEN` is set");
    public final Duration reconcileInterval = get(RECONCILE_INTERVAL);
    public static final Setting<Duration> OUTBOX_MAX_AGE = setting("infrasage.outbox-max-age",
            "INFRASAGE_OUTBOX_MAX_AGE", "15m", DURATION, "`/observe/health` shows PagerDuty degraded when an "
            + "undelivered event is older than this (readiness stays up: pages still queue)");
    public final Duration outboxMaxAge = get(OUTBOX_MAX_AGE);
    public static final Setting<Duration> SHUTDOWN_DELAY = setting("infrasage.shutdown-delay",
            "INFRASAGE_SHUTDOWN_DELAY", "5s", DURATION, "after SIGTERM: unready, new requests answered 503 with "
            + "Retry-After, for this long before the listener closes ([deployment](deployment.md))");
    public final Duration shutdownDelay = get(SHUTDOWN_DELAY);
    public static final Setting<Duration> SHUTDOWN_TIMEOUT = setting("infrasage.shutdown-timeout",
            "INFRASAGE_SHUTDOWN_TIMEOUT", "25s", POSITIVE_DURATION, "the whole stop (delay, requests in flight, "
            + "routes, queue) ends within this; then the process exits 0");
    public final Duration shutdownTimeout = get(SHUTDOWN_TIMEOUT);
    public static final Setting<Integer> HTTP_MAX_IN_FLIGHT = setting("infrasage.http-max-in-flight",
            "INFRASAGE_HTTP_MAX_IN_FLIGHT", "256", POSITIVE_INT, "requests to `/api/v1/*` handled or waiting at "
            + "once; more get 503 with `Retry-After: 1` at once (load shedding: PagerDuty redelivers, InfraSage "
            + "retries)");
    public final int httpMaxInFlight = get(HTTP_MAX_IN_FLIGHT);
    public static final Setting<Duration> HTTP_BODY_TIMEOUT = setting("infrasage.http-body-timeout",
            "INFRASAGE_HTTP_BODY_TIMEOUT", "10s", POSITIVE_DURATION, "a request's whole body must arrive within "
            + "this, else `408` and the connection is closed; a request counts against the in-flight limit only once "
            + "its body is in");
    public final Duration httpBodyTimeout = get(HTTP_BODY_TIMEOUT);
    public static final Setting<Duration> HTTP_IDLE_TIMEOUT = setting("infrasage.http-idle-timeout",
            "INFRASAGE_HTTP_IDLE_TIMEOUT", "75s", POSITIVE_DURATION, "connections (API and management ports) that "
            + "send nothing for this long are closed: idle keep-alive, or nothing or half the headers sent; keep it "
            + "above your load balancer's keep-alive idle timeout (60 s on AWS ALB)");
    public final Duration httpIdleTimeout = get(HTTP_IDLE_TIMEOUT);
    public static final Setting<String> CLICKHOUSE_URL = setting("clickhouse.url", "CLICKHOUSE_URL",
            "jdbc:clickhouse://localhost:8123/infrasage", TEXT, "ClickHouse JDBC URL; its path names the database, "
            + "which the bundle creates; several nodes as `host1:8123,host2:8123` ([failover](clickhouse-cluster.md#several-clickhouse-endpoints))");
    public final String clickHouseUrl = get(CLICKHOUSE_URL);
    /** The path of clickHouseUrl: every table name is qualified with it. */
    public final String clickHouseDatabase = databaseOf(clickHouseUrl);
    public static final Setting<String> CLICKHOUSE_USER = setting("clickhouse.user", "CLICKHOUSE_USER", "default", TEXT,
            "ClickHouse user");
    public final String clickHouseUser = get(CLICKHOUSE_USER);
    public static final Setting<String> CLICKHOUSE_PASSWORD = setting("clickhouse.password", "CLICKHOUSE_PASSWORD", "",
            TEXT, "ClickHouse password (secret)");
    public final String clickHousePassword = get(CLICKHOUSE_PASSWORD);
    public static final Setting<String> CLICKHOUSE_CLUSTER = setting("clickhouse.cluster", "CLICKHOUSE_CLUSTER", "", TEXT,
            "ClickHouse cluster (a `remote_servers` name) whose replicas all get the schema: `ON CLUSTER` DDL and "
            + "`Replicated*MergeTree` engines ([cluster](clickhouse-cluster.md)); empty: one server, plain engines");
    public final String clickHouseCluster = get(CLICKHOUSE_CLUSTER);

    static final String EVENTS_PATH = "/v2/enqueue";
    static final String CHANGE_EVENTS_PATH = "/v2/change/enqueue";

    /** The rules between settings, checked once every setting above has been read. */
    private BundleSettings(Function<String, Optional<String>> lookup, Function<String, String> env) {
        super(lookup, env);
        if (!clickHouseCluster.isEmpty() && !clickHouseCluster.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            problem(CLICKHOUSE_CLUSTER, "'" + clickHouseCluster + "' is not a plain identifier (a remote_servers name)");
        }
        if (webhookSecrets.isEmpty() && !webhookInsecure) {
            problem(WEBHOOK_SECRETS, "is empty: set the signing secret of your PagerDuty webhook subscription "
                    + "(or " + WEBHOOK_INSECURE.env() + "=true to accept unsigned webhooks, never in production)");
        }
        if (rateLimitBurst >= rateLimitPerMinute) {
            problem(RATE_BURST, "must be below " + RATE_LIMIT.env() + " (" + rateLimitPerMinute + ")");
        }
        if (ingestToken.isEmpty() && !ingestInsecure) {
            // anyone who reaches the port could otherwise page on-call, resolve incidents and list them all
            problem(INGEST_TOKEN, "is empty: set the token InfraSage and runbooks send as 'Authorization: Bearer <token>' "
                    + "(or " + INGEST_INSECURE.env() + "=true to leave the anomaly, resolve and verification endpoints open, "
                    + "never in production)");
        }
        if (queue.equals("kafka") && kafkaBootstrapServers.isEmpty()) {
            problem(KAFKA_BOOTSTRAP, "is empty: Kafka mode needs the brokers, e.g. kafka-1:9092,kafka-2:9092");
        }
        if (shutdownDelay.compareTo(shutdownTimeout) >= 0) {
            problem(SHUTDOWN_DELAY, "must be shorter than " + SHUTDOWN_TIMEOUT.label() + ", which bounds the whole stop");
        }
        failIfProblems();
    }

    /**
     * @param lookup property lookup (application.properties / the host's properties); environment variables win over it
     */
    public static BundleSettings load(Function<String, Optional<String>> lookup, Function<String, String> env) {
        return new BundleSettings(lookup, env);
    }

    private static <T> Setting<T> setting(String property, String env, String defaultValue, Type<T> type, String doc) {
        Setting<T> s = new Setting<>(property, env, defaultValue, type, doc);
        DECLARED.add(s);
        return s;
    }

    /** .../v2/enqueue becomes .../v2/change/enqueue; any other URL gets /v2/change/enqueue on its host. */
    static URI changeEventsUrl(URI eventsUrl) {
        String url = eventsUrl.toString();
        return url.endsWith(EVENTS_PATH)
                ? URI.create(url.substring(0, url.length() - EVENTS_PATH.length()) + CHANGE_EVENTS_PATH)
                : eventsUrl.resolve(CHANGE_EVENTS_PATH);
    }

    /** The bands must rise; bands that do not are reported under the three names and the defaults stand in. */
    private SeverityPolicy severityPolicy() {
        double warning = get(WARNING_FROM);
        double error = get(ERROR_FROM);
        double critical = get(CRITICAL_FROM);
        if (!(warning < error && error < critical)) {
            problem(WARNING_FROM, "(" + warning + "), " + ERROR_FROM.env() + " (" + error + ") and "
                    + CRITICAL_FROM.env() + " (" + critical + ") must rise");
            warning = WARNING_FROM.byDefault();
            error = ERROR_FROM.byDefault();
            critical = CRITICAL_FROM.byDefault();
        }
        double w = warning;
        double e = error;
        double c = critical;
        return get(MIN_SEVERITY, min -> SeverityPolicy.of(w, e, c, min), SeverityPolicy.of(w, e, c, MIN_SEVERITY.defaultValue()));
    }

    /** The database is the path of the JDBC URL (jdbc:clickhouse://host:8123/db). */
    private String databaseOf(String url) {
        if (!url.startsWith("jdbc:clickhouse:") && !url.startsWith("jdbc:ch:")) {
            problem(CLICKHOUSE_URL, "must be a ClickHouse JDBC URL such as jdbc:clickhouse://host:8123/infrasage");
            return "infrasage";
        }
        String rest = url.substring(url.indexOf("//") + 2);
        int slash = rest.indexOf('/');
        String db = slash < 0 ? "" : rest.substring(slash + 1);
        int q = db.indexOf('?');
        db = q < 0 ? db : db.substring(0, q);
        if (db.isEmpty()) {
            return "infrasage";
        }
        if (!db.matches("[A-Za-z_][A-Za-z0-9_]{0,63}")) {
            problem(CLICKHOUSE_URL, "names database '" + db + "', which is not a plain identifier");
        }
        return db;
    }
}
