package io.infrasage.pagerduty.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import io.infrasage.pagerduty.anomaly.AnomalyBatch;
import io.infrasage.pagerduty.anomaly.RoutingRules;
import io.infrasage.pagerduty.anomaly.SeverityPolicy;

/**
 * Every setting of the bundle, read environment first (the seed's names), then application.properties, then the
 * built-in default, and validated together so start-up fails once with the whole list of problems.
 */
public final class BundleSettings {

    public static final Setting EVENTS_URL = Setting.of("pagerduty.events-url", "PAGERDUTY_EVENTS_URL");
    public static final Setting API_URL = Setting.of("pagerduty.api-url", "PAGERDUTY_API_URL");
    public static final Setting API_TOKEN = Setting.of("pagerduty.api-token", "PAGERDUTY_API_TOKEN");
    public static final Setting SERVICE_KEY = Setting.of("pagerduty.service-key", "PAGERDUTY_SERVICE_KEY");
    public static final Setting ROUTING_RULES = Setting.of("pagerduty.routing-rules", "PAGERDUTY_ROUTING_RULES");
    public static final Setting WEBHOOK_SECRETS = Setting.of("pagerduty.webhook-secrets", "PAGERDUTY_WEBHOOK_SECRETS");
    public static final Setting WEBHOOK_INSECURE = Setting.of("pagerduty.webhook-insecure", "PAGERDUTY_WEBHOOK_INSECURE");
    public static final Setting RATE_LIMIT = Setting.of("pagerduty.rate-limit-per-minute", "PAGERDUTY_RATE_LIMIT_PER_MINUTE");
    public static final Setting RATE_BURST = Setting.of("pagerduty.rate-limit-burst", "PAGERDUTY_RATE_LIMIT_BURST");
    public static final Setting RETRY_INITIAL = Setting.of("pagerduty.retry-initial-delay", "PAGERDUTY_RETRY_INITIAL_DELAY");
    public static final Setting RETRY_MAX = Setting.of("pagerduty.retry-max-delay", "PAGERDUTY_RETRY_MAX_DELAY");
    public static final Setting RETRY_THROTTLED = Setting.of("pagerduty.retry-throttled-delay", "PAGERDUTY_RETRY_THROTTLED_DELAY");
    public static final Setting WARNING_FROM = Setting.of("anomaly.severity.warning-from", "INFRASAGE_SEVERITY_WARNING_FROM");
    public static final Setting ERROR_FROM = Setting.of("anomaly.severity.error-from", "INFRASAGE_SEVERITY_ERROR_FROM");
    public static final Setting CRITICAL_FROM = Setting.of("anomaly.severity.critical-from", "INFRASAGE_SEVERITY_CRITICAL_FROM");
    public static final Setting MIN_SEVERITY = Setting.of("anomaly.minimum-severity", "INFRASAGE_MIN_SEVERITY");
    public static final Setting INGEST_TOKEN = Setting.of("anomaly.api-token", "INFRASAGE_API_TOKEN");
    public static final Setting INGEST_INSECURE = Setting.of("anomaly.api-insecure", "INFRASAGE_API_INSECURE");
    public static final Setting DELIVERY_WAIT = Setting.of("anomaly.delivery-wait", "INFRASAGE_DELIVERY_WAIT");
    public static final Setting CONCURRENCY = Setting.of("pagerduty.concurrency", "PAGERDUTY_CONCURRENCY");
    public static final Setting OUTBOX_MAX_AGE = Setting.of("infrasage.outbox-max-age", "INFRASAGE_OUTBOX_MAX_AGE");
    public static final Setting BATCH_MAX = Setting.of("anomaly.batch-max", "INFRASAGE_BATCH_MAX");
    public static final Setting HTTP_MAX_IN_FLIGHT = Setting.of("infrasage.http-max-in-flight", "INFRASAGE_HTTP_MAX_IN_FLIGHT");
    public static final Setting HTTP_HEADER_TIMEOUT = Setting.of("infrasage.http-header-timeout", "INFRASAGE_HTTP_HEADER_TIMEOUT");
    public static final Setting HTTP_BODY_TIMEOUT = Setting.of("infrasage.http-body-timeout", "INFRASAGE_HTTP_BODY_TIMEOUT");
    public static final Setting HTTP_IDLE_TIMEOUT = Setting.of("infrasage.http-idle-timeout", "INFRASAGE_HTTP_IDLE_TIMEOUT");
    public static final Setting SHUTDOWN_DELAY = Setting.of("infrasage.shutdown-delay", "INFRASAGE_SHUTDOWN_DELAY");
    public static final Setting SHUTDOWN_TIMEOUT = Setting.of("infrasage.shutdown-timeout", "INFRASAGE_SHUTDOWN_TIMEOUT");
    public static final Setting DATA_DIR = Setting.of("infrasage.data-dir", "INFRASAGE_DATA_DIR");
    public static final Setting QUEUE = Setting.of("infrasage.queue", "INFRASAGE_QUEUE");
    public static final Setting KAFKA_BOOTSTRAP = Setting.of("kafka.bootstrap-servers", "KAFKA_BOOTSTRAP_SERVERS");
    public static final Setting KAFKA_TOPIC_PREFIX = Setting.of("kafka.topic-prefix", "KAFKA_TOPIC_PREFIX");
    public static final Setting KAFKA_PARTITIONS = Setting.of("kafka.partitions", "KAFKA_PARTITIONS");
    public static final Setting KAFKA_REPLICATION = Setting.of("kafka.replication-factor", "KAFKA_REPLICATION_FACTOR");
    public static final Setting ACCEPT_TIMEOUT = Setting.of("infrasage.accept-timeout", "INFRASAGE_ACCEPT_TIMEOUT");
    public static final Setting PAGE_MEMORY = Setting.of("infrasage.page-memory", "INFRASAGE_PAGE_MEMORY");
    public static final Setting PAGE_MEMORY_MAX = Setting.of("infrasage.page-memory-max", "INFRASAGE_PAGE_MEMORY_MAX");
    public static final Setting PAGE_MEMORY_REFRESH = Setting.of("infrasage.page-memory-refresh", "INFRASAGE_PAGE_MEMORY_REFRESH");
    public static final Setting API_FROM = Setting.of("pagerduty.api-from", "PAGERDUTY_API_FROM");
    public static final Setting API_RATE_LIMIT = Setting.of("pagerduty.api-rate-limit-per-minute", "PAGERDUTY_API_RATE_LIMIT_PER_MINUTE");
    public static final Setting SERVICE_IDS = Setting.of("pagerduty.service-ids", "PAGERDUTY_SERVICE_IDS");
    public static final Setting INHIBIT_SYMPTOMS = Setting.of("infrasage.inhibit-symptoms", "INFRASAGE_INHIBIT_SYMPTOMS");
    public static final Setting INHIBIT_WINDOW = Setting.of("infrasage.inhibit-window", "INFRASAGE_INHIBIT_WINDOW");
    public static final Setting INHIBIT_NOTE_INTERVAL = Setting.of("infrasage.inhibit-note-interval", "INFRASAGE_INHIBIT_NOTE_INTERVAL");
    public static final Setting RECONCILE_INTERVAL = Setting.of("infrasage.reconcile-interval", "INFRASAGE_RECONCILE_INTERVAL");
    public static final Setting CLICKHOUSE_URL = Setting.of("clickhouse.url", "CLICKHOUSE_URL");
    public static final Setting CLICKHOUSE_USER = Setting.of("clickhouse.user", "CLICKHOUSE_USER");
    public static final Setting CLICKHOUSE_PASSWORD = Setting.of("clickhouse.password", "CLICKHOUSE_PASSWORD");

    public static final List<Setting> ALL = List.of(EVENTS_URL, API_URL, API_TOKEN, SERVICE_KEY, ROUTING_RULES,
            WEBHOOK_SECRETS, WEBHOOK_INSECURE, RATE_LIMIT, RATE_BURST, RETRY_INITIAL, RETRY_MAX, RETRY_THROTTLED,
            WARNING_FROM, ERROR_FROM, CRITICAL_FROM, MIN_SEVERITY, INGEST_TOKEN, INGEST_INSECURE, DELIVERY_WAIT, BATCH_MAX, CONCURRENCY,
            OUTBOX_MAX_AGE, HTTP_MAX_IN_FLIGHT, HTTP_HEADER_TIMEOUT, HTTP_BODY_TIMEOUT, HTTP_IDLE_TIMEOUT,
            SHUTDOWN_DELAY, SHUTDOWN_TIMEOUT, DATA_DIR, QUEUE, KAFKA_BOOTSTRAP,
            KAFKA_TOPIC_PREFIX, KAFKA_PARTITIONS, KAFKA_REPLICATION, ACCEPT_TIMEOUT, PAGE_MEMORY, PAGE_MEMORY_MAX, PAGE_MEMORY_REFRESH,
            API_FROM, API_RATE_LIMIT, SERVICE_IDS, INHIBIT_SYMPTOMS, INHIBIT_WINDOW, INHIBIT_NOTE_INTERVAL, RECONCILE_INTERVAL,
            CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD);

    public final URI eventsUrl;
    /** Where change events go: derived from eventsUrl, so the sandbox and EU accounts need no setting of their own. */
    public final URI changeEventsUrl;
    public final URI apiUrl;
    public final Optional<String> apiToken;
    public final RoutingRules routingRules;
    public final List<String> webhookSecrets;
    public final boolean webhookInsecure;
    public final int rateLimitPerMinute;
    public final int rateLimitBurst;
    public final Duration retryInitialDelay;
    public final Duration retryMaxDelay;
    public final Duration retryThrottledDelay;
    public final SeverityPolicy severityPolicy;
    public final Optional<String> ingestToken;
    public final boolean ingestInsecure;
    public final Duration deliveryWait;
    public final int concurrency;
    public final int batchMax;
    public final int httpMaxInFlight;
    public final Duration httpHeaderTimeout;
    public final Duration httpBodyTimeout;
    public final Duration httpIdleTimeout;
    public final Duration outboxMaxAge;
    /** After SIGTERM: unready and answering 503 for this long before the listener closes, so load balancers move on. */
    public final Duration shutdownDelay;
    /** The whole stop (delay, requests in flight, routes, queue) ends within this. */
    public final Duration shutdownTimeout;
    public final Path dataDir;
    /** Where accepted events wait: "local" (the SQLite file in dataDir) or "kafka" (shared by every instance). */
    public final String queue;
    public final String kafkaBootstrapServers;
    public final String kafkaTopicPrefix;
    public final int kafkaPartitions;
    public final int kafkaReplicationFactor;
    /** Kafka mode: the longest a request waits for Kafka before it is answered 503 (nothing accepted, the client retries). */
    public final Duration acceptTimeout;
    public final boolean pageMemory;
    public final int pageMemoryMax;
    public final Duration pageMemoryRefresh;
    /** The email of the PagerDuty user REST writes (notes) are made as: PagerDuty wants it in a From header. */
    public final Optional<String> apiFrom;
    /** The REST token's requests a minute (PagerDuty's 960 unless the account says less, or other tools share it). */
    public final int apiRateLimitPerMinute;
    /** The PagerDuty services the routing keys page; empty: the bundle learns them from its own incidents. */
    public final List<String> serviceIds;
    public final boolean inhibitSymptoms;
    public final Duration inhibitWindow;
    public final Duration inhibitNoteInterval;
    /** How often the self-healing sync compares PagerDuty with ClickHouse; zero turns it off (so does no API token). */
    public final Duration reconcileInterval;
    public final String clickHouseUrl;
    public final String clickHouseDatabase;
    public final String clickHouseUser;
    public final String clickHousePassword;

    static final String EVENTS_PATH = "/v2/enqueue";
    static final String CHANGE_EVENTS_PATH = "/v2/change/enqueue";

    /** .../v2/enqueue becomes .../v2/change/enqueue; any other URL gets /v2/change/enqueue on its host. */
    static URI changeEventsUrl(URI eventsUrl) {
        if (eventsUrl == null) {
            return null;
        }
        String url = eventsUrl.toString();
        return url.endsWith(EVENTS_PATH)
                ? URI.create(url.substring(0, url.length() - EVENTS_PATH.length()) + CHANGE_EVENTS_PATH)
                : eventsUrl.resolve(CHANGE_EVENTS_PATH);
    }

    private BundleSettings(Reader r) {
        eventsUrl = r.url(EVENTS_URL, "https://events.pagerduty.com/v2/enqueue");
        changeEventsUrl = changeEventsUrl(eventsUrl);
        apiUrl = r.url(API_URL, "https://api.pagerduty.com");
        apiToken = r.optional(API_TOKEN);
        routingRules = r.parse(ROUTING_RULES, rules -> RoutingRules.parse(rules, r.optional(SERVICE_KEY).orElse(null)),
                RoutingRules.none());
        webhookSecrets = r.optional(WEBHOOK_SECRETS).map(BundleSettings::commaList).orElse(List.of());
        webhookInsecure = r.bool(WEBHOOK_INSECURE, false);
        if (webhookSecrets.isEmpty() && !webhookInsecure) {
            r.problem(WEBHOOK_SECRETS, "is empty: set the signing secret of your PagerDuty webhook subscription "
                    + "(or " + WEBHOOK_INSECURE.env() + "=true to accept unsigned webhooks, never in production)");
        }
        rateLimitPerMinute = r.positiveInt(RATE_LIMIT, 120);
        rateLimitBurst = r.positiveInt(RATE_BURST, 10);
        if (rateLimitBurst >= rateLimitPerMinute) {
            r.problem(RATE_BURST, "must be below " + RATE_LIMIT.env() + " (" + rateLimitPerMinute + ")");
        }
        retryInitialDelay = r.duration(RETRY_INITIAL, Duration.ofSeconds(1));
        retryMaxDelay = r.duration(RETRY_MAX, Duration.ofMinutes(5));
        retryThrottledDelay = r.duration(RETRY_THROTTLED, Duration.ofSeconds(30));
        double warningFrom = r.score(WARNING_FROM, 0.4);
        double errorFrom = r.score(ERROR_FROM, 0.6);
        double criticalFrom = r.score(CRITICAL_FROM, 0.8);
        if (!(warningFrom < errorFrom && errorFrom < criticalFrom)) {
            r.problem(WARNING_FROM, "(" + warningFrom + "), " + ERROR_FROM.env() + " (" + errorFrom + ") and "
                    + CRITICAL_FROM.env() + " (" + criticalFrom + ") must rise");
            warningFrom = 0.4;
            errorFrom = 0.6;
            criticalFrom = 0.8;
        }
        double w = warningFrom;
        double e = errorFrom;
        double c = criticalFrom;
        severityPolicy = r.parse(MIN_SEVERITY, min -> SeverityPolicy.of(w, e, c, min), SeverityPolicy.of(0.4, 0.6, 0.8, "warning"),
                "warning");
        ingestToken = r.optional(INGEST_TOKEN);
        ingestInsecure = r.bool(INGEST_INSECURE, false);
        if (ingestToken.isEmpty() && !ingestInsecure) {
            // anyone who reaches the port could otherwise page on-call, resolve incidents and list them all
            r.problem(INGEST_TOKEN, "is empty: set the token InfraSage and runbooks send as 'Authorization: Bearer <token>' "
                    + "(or " + INGEST_INSECURE.env() + "=true to leave the anomaly, resolve and verification endpoints open, "
                    + "never in production)");
        }
        deliveryWait = r.duration(DELIVERY_WAIT, Duration.ofMillis(0));
        concurrency = r.positiveInt(CONCURRENCY, 16);
        batchMax = r.positiveInt(BATCH_MAX, AnomalyBatch.DEFAULT_MAX);
        httpMaxInFlight = r.positiveInt(HTTP_MAX_IN_FLIGHT, 256);
        httpHeaderTimeout = r.positiveDuration(HTTP_HEADER_TIMEOUT, Duration.ofSeconds(10));
        httpBodyTimeout = r.positiveDuration(HTTP_BODY_TIMEOUT, Duration.ofSeconds(10));
        httpIdleTimeout = r.positiveDuration(HTTP_IDLE_TIMEOUT, Duration.ofSeconds(75));
        outboxMaxAge = r.duration(OUTBOX_MAX_AGE, Duration.ofMinutes(15));
        shutdownDelay = r.duration(SHUTDOWN_DELAY, Duration.ofSeconds(5));
        shutdownTimeout = r.positiveDuration(SHUTDOWN_TIMEOUT, Duration.ofSeconds(25));
        if (shutdownDelay.compareTo(shutdownTimeout) >= 0) {
            r.problem(SHUTDOWN_DELAY, "must be shorter than " + SHUTDOWN_TIMEOUT.label() + ", which bounds the whole stop");
        }
        dataDir = Path.of(r.optional(DATA_DIR).orElse("data"));
        queue = r.optional(QUEUE).orElse("local").toLowerCase();
        if (!queue.equals("local") && !queue.equals("kafka")) {
            r.problem(QUEUE, "must be local or kafka, got '" + queue + "'");
        }
        kafkaBootstrapServers = r.optional(KAFKA_BOOTSTRAP).orElse("");
        if (queue.equals("kafka") && kafkaBootstrapServers.isEmpty()) {
            r.problem(KAFKA_BOOTSTRAP, "is empty: Kafka mode needs the brokers, e.g. kafka-1:9092,kafka-2:9092");
        }
        kafkaTopicPrefix = r.optional(KAFKA_TOPIC_PREFIX).orElse("infrasage-pagerduty.");
        kafkaPartitions = r.positiveInt(KAFKA_PARTITIONS, 12);
        kafkaReplicationFactor = r.positiveInt(KAFKA_REPLICATION, 3);
        acceptTimeout = r.positiveDuration(ACCEPT_TIMEOUT, Duration.ofSeconds(5));
        pageMemory = r.bool(PAGE_MEMORY, true);
        pageMemoryMax = r.positiveInt(PAGE_MEMORY_MAX, 3);
        pageMemoryRefresh = r.duration(PAGE_MEMORY_REFRESH, Duration.ofSeconds(2));
        if (pageMemoryRefresh.toMillis() < 1) {
            r.problem(PAGE_MEMORY_REFRESH, "must be at least 1ms");
        }
        apiFrom = r.optional(API_FROM);
        apiRateLimitPerMinute = r.positiveInt(API_RATE_LIMIT, 960);
        serviceIds = r.optional(SERVICE_IDS).map(BundleSettings::commaList).orElse(List.of());
        inhibitSymptoms = r.bool(INHIBIT_SYMPTOMS, false);
        inhibitWindow = r.duration(INHIBIT_WINDOW, Duration.ofMinutes(30));
        if (inhibitWindow.isZero()) {
            r.problem(INHIBIT_WINDOW, "must be longer than 0");
        }
        inhibitNoteInterval = r.duration(INHIBIT_NOTE_INTERVAL, Duration.ofSeconds(10));
        if (inhibitNoteInterval.toMillis() < 1) {
            r.problem(INHIBIT_NOTE_INTERVAL, "must be at least 1ms");
        }
        reconcileInterval = r.duration(RECONCILE_INTERVAL, Duration.ofMinutes(5));
        clickHouseUrl = r.optional(CLICKHOUSE_URL).orElse("jdbc:clickhouse://localhost:8123/infrasage");
        clickHouseDatabase = databaseOf(clickHouseUrl, r);
        clickHouseUser = r.optional(CLICKHOUSE_USER).orElse("default");
        clickHousePassword = r.optional(CLICKHOUSE_PASSWORD).orElse("");
        r.failIfProblems();
    }

    /**
     * @param lookup property lookup (application.properties / the host's properties); environment variables win over it
     */
    public static BundleSettings load(Function<String, Optional<String>> lookup, Function<String, String> env) {
        return new BundleSettings(new Reader(lookup, env));
    }

    /** A comma-separated list: blanks around and between the commas dropped. */
    static List<String> commaList(String raw) {
        return Arrays.stream(raw.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** The database is the path of the JDBC URL (jdbc:clickhouse://host:8123/db); every table name is qualified with it. */
    private static String databaseOf(String url, Reader r) {
        if (!url.startsWith("jdbc:clickhouse:") && !url.startsWith("jdbc:ch:")) {
            r.problem(CLICKHOUSE_URL, "must be a ClickHouse JDBC URL such as jdbc:clickhouse://host:8123/infrasage");
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
            r.problem(CLICKHOUSE_URL, "names database '" + db + "', which is not a plain identifier");
        }
        return db;
    }

    /** Reads values in precedence order and collects problems instead of failing on the first. */
    private static final class Reader {
        private final Function<String, Optional<String>> lookup;
        private final Function<String, String> env;
        private final List<String> problems = new ArrayList<>();

        Reader(Function<String, Optional<String>> lookup, Function<String, String> env) {
            this.lookup = lookup;
            this.env = env;
        }

        Optional<String> optional(Setting s) {
            String fromEnv = env.apply(s.env());
            if (fromEnv != null && !fromEnv.isBlank()) {
                return Optional.of(fromEnv.trim());
            }
            return lookup.apply(s.property()).map(String::trim).filter(v -> !v.isEmpty());
        }

        void problem(Setting s, String what) {
            problems.add(s.label() + " " + what);
        }

        URI url(Setting s, String def) {
            String v = optional(s).orElse(def);
            try {
                URI uri = URI.create(v);
                if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null) {
                    problem(s, "must be an http(s) URL, got '" + v + "'");
                }
                return uri;
            } catch (IllegalArgumentException e) {
                problem(s, "is not a URL: " + e.getMessage());
                return URI.create(def);
            }
        }

        boolean bool(Setting s, boolean def) {
            String v = optional(s).orElse(Boolean.toString(def)).toLowerCase();
            if (!v.equals("true") && !v.equals("false")) {
                problem(s, "must be true or false, got '" + v + "'");
                return def;
            }
            return Boolean.parseBoolean(v);
        }

        int positiveInt(Setting s, int def) {
            String v = optional(s).orElse(Integer.toString(def));
            try {
                int n = Integer.parseInt(v);
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            problem(s, "must be a positive whole number, got '" + v + "'");
            return def;
        }

        double score(Setting s, double def) {
            String v = optional(s).orElse(Double.toString(def));
            try {
                double d = Double.parseDouble(v);
                if (d >= 0 && d <= 1) {
                    return d;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            problem(s, "must be a score between 0 and 1, got '" + v + "'");
            return def;
        }

        /** Accepts ISO-8601 (PT30S) or a number with a unit: 250ms, 30s, 5m, 1h. */
        Duration duration(Setting s, Duration def) {
            Duration d = parseDuration(s, def);
            if (d.isNegative()) {
                problem(s, "must not be negative, got '" + optional(s).orElse("") + "'");
                return def;
            }
            return d;
        }

        Duration positiveDuration(Setting s, Duration def) {
            Duration d = duration(s, def);
            if (d.isZero()) {
                problem(s, "must be longer than zero, got '" + optional(s).orElse("") + "'");
                return def;
            }
            return d;
        }

        private Duration parseDuration(Setting s, Duration def) {
            Optional<String> v = optional(s);
            if (v.isEmpty()) {
                return def;
            }
            String t = v.get().toLowerCase();
            if (t.equals("0")) {
                return Duration.ZERO; // "0 turns it off" needs no unit
            }
            try {
                if (t.startsWith("pt")) {
                    return Duration.parse(t.toUpperCase());
                }
                if (t.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
                }
                long n = Long.parseLong(t.substring(0, t.length() - 1));
                switch (t.charAt(t.length() - 1)) {
                    case 's': return Duration.ofSeconds(n);
                    case 'm': return Duration.ofMinutes(n);
                    case 'h': return Duration.ofHours(n);
                    default: break;
                }
            } catch (RuntimeException ignored) {
                // reported below
            }
            problem(s, "must be a duration such as 250ms, 30s or 5m, got '" + v.get() + "'");
            return def;
        }

        <T> T parse(Setting s, Function<String, T> parser, T fallback) {
            return parse(s, parser, fallback, "");
        }

        <T> T parse(Setting s, Function<String, T> parser, T fallback, String def) {
            try {
                return parser.apply(optional(s).orElse(def));
            } catch (IllegalArgumentException e) {
                problem(s, e.getMessage());
                return fallback;
            }
        }

        void failIfProblems() {
            if (!problems.isEmpty()) {
                throw new InvalidConfigurationException(problems);
            }
        }
    }
}
