package io.infrasage.pagerduty;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import io.infrasage.pagerduty.clickhouse.ClickHouse;
import io.infrasage.pagerduty.clickhouse.SchemaMigrator;
import io.infrasage.pagerduty.outbox.Outbox;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness on /observe/health: DOWN when ClickHouse is unreachable, the outbox cannot take a durable write, or it is
 * stuck past its allowed age.
 */
public final class ReadinessChecks {

    private ReadinessChecks() {
    }

    /** A readiness-only check: failing it takes the instance out of rotation, it does not get it restarted. */
    private abstract static class ReadinessCheck extends AbstractHealthCheck {
        ReadinessCheck(String id) {
            super("infrasage", id);
        }

        @Override
        public boolean isLiveness() {
            return false;
        }
    }

    public static final class ClickHouseCheck extends ReadinessCheck {
        private final ClickHouse clickHouse;
        private final SchemaMigrator schema;

        public ClickHouseCheck(ClickHouse clickHouse, SchemaMigrator schema) {
            super("clickhouse");
            this.clickHouse = clickHouse;
            this.schema = schema;
        }

        @Override
        protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
            builder.detail("database", clickHouse.database());
            if (!clickHouse.answers()) {
                builder.message("ClickHouse is unreachable").down();
            } else if (!schema.isApplied()) {
                builder.message("ClickHouse schema not applied yet: " + schema.lastError()).down();
            } else {
                builder.up();
            }
        }
    }

    public static final class OutboxCheck extends ReadinessCheck {
        private final Outbox store;
        private final Duration maxAge;

        public OutboxCheck(Outbox store, Duration maxAge) {
            super("pagerduty-outbox");
            this.store = store;
            this.maxAge = maxAge;
        }

        @Override
        protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
            // never throws: a check that throws makes Camel answer the health request with a plain-text 500
            try {
                Optional<String> unwritable = store.unwritable();
                long depth = store.depth();
                builder.detail("depth", depth);
                long ageMillis = store.oldestQueuedAt().map(t -> System.currentTimeMillis() - t).orElse(0L);
                builder.detail("oldest_age_seconds", ageMillis / 1000);
                if (unwritable.isPresent()) {
                    builder.message("PagerDuty outbox cannot take a durable write: " + unwritable.get()).down();
                } else if (ageMillis > maxAge.toMillis()) {
                    builder.message("PagerDuty outbox stuck: oldest event queued " + ageMillis / 1000 + " s ago (limit "
                            + maxAge.toSeconds() + " s)").down();
                } else {
                    builder.up();
                }
            } catch (RuntimeException e) {
                builder.message("PagerDuty outbox cannot be read: " + e.getMessage()).down();
            }
        }
    }
}
