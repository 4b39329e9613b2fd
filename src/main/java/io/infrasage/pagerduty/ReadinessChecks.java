package io.infrasage.pagerduty;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import io.infrasage.pagerduty.outbox.Outbox;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * What /observe/health says of the bundle. Readiness (/observe/health/ready) means "this instance can make a page
 * durable now": only the outbox's durable write and a stop in progress take it down. A dependency that is away
 * (ClickHouse, PagerDuty) degrades the instance, it does not make it unready: pages still queue and go out later.
 */
public final class ReadinessChecks {

    private ReadinessChecks() {
    }

    /** Never throws: Camel answers a plain-text 500 for a check that throws, and a probe cannot act on that. */
    private abstract static class BundleCheck extends AbstractHealthCheck {
        BundleCheck(String id) {
            super("infrasage", id);
        }

        @Override
        public boolean isLiveness() {
            return false;
        }

        @Override
        protected final void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
            try {
                check(builder);
            } catch (RuntimeException e) {
                builder.message(jsonSafe("check failed: " + e.getMessage())).down();
            }
        }

        abstract void check(HealthCheckResultBuilder builder);
    }

    /** Readiness: DOWN while the instance is stopping or its outbox cannot take a durable write. */
    public static final class AcceptingCheck extends BundleCheck {
        private final Outbox outbox;
        private final BooleanSupplier stopping;

        public AcceptingCheck(Outbox outbox, BooleanSupplier stopping) {
            super("accepting-pages");
            this.outbox = outbox;
            this.stopping = stopping;
        }

        @Override
        void check(HealthCheckResultBuilder builder) {
            Optional<String> unwritable = outbox.unwritable();
            if (stopping.getAsBoolean()) {
                builder.message("the instance is stopping: new requests get 503 with Retry-After").down();
            } else if (unwritable.isPresent()) {
                builder.message(jsonSafe("the outbox cannot take a durable write: " + unwritable.get())).down();
            } else {
                builder.up();
            }
        }
    }

    /**
     * A dependency on the full /observe/health only (neither liveness nor readiness): UP, or UNKNOWN with a message that
     * starts "degraded:" and says what the bundle does meanwhile. UNKNOWN keeps /observe/health at 200.
     */
    public static final class DependencyCheck extends BundleCheck {
        private final Supplier<Optional<String>> trouble;

        /** @param trouble what is wrong with the dependency now, or empty when it serves */
        public DependencyCheck(String id, Supplier<Optional<String>> trouble) {
            super(id);
            this.trouble = trouble;
        }

        @Override
        public boolean isReadiness() {
            return false;
        }

        @Override
        void check(HealthCheckResultBuilder builder) {
            Optional<String> wrong = trouble.get();
            if (wrong.isPresent()) {
                builder.message(jsonSafe("degraded: " + wrong.get())).unknown();
            } else {
                builder.up();
            }
        }
    }

    /** The trouble of the PagerDuty side: unreachable, or events waiting longer than the allowed age. */
    public static Supplier<Optional<String>> pagerDutyTrouble(DependencyState pagerDuty, Outbox outbox, Duration maxAge) {
        return () -> {
            if (!pagerDuty.isUp()) {
                return Optional.of("PagerDuty is unreachable; pages wait in the outbox and are retried");
            }
            long ageMillis = outbox.oldestQueuedAt().map(t -> System.currentTimeMillis() - t).orElse(0L);
            if (ageMillis > maxAge.toMillis()) {
                return Optional.of("the oldest event waiting for PagerDuty was queued " + ageMillis / 1000 + " s ago (limit "
                        + maxAge.toSeconds() + " s)");
            }
            return Optional.empty();
        };
    }

    /** Camel's management server writes a check's message into its JSON as it is: keep it one plain line. */
    static String jsonSafe(String message) {
        String line = message == null ? "" : message.lines().findFirst().orElse("");
        return line.replace('\\', '/').replace('"', '\'').replaceAll("\\p{Cntrl}", " ");
    }
}
