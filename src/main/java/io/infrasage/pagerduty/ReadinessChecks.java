package io.infrasage.pagerduty;

import java.time.Duration;
import java.util.Map;

import io.infrasage.pagerduty.clickhouse.ClickHouse;
import io.infrasage.pagerduty.clickhouse.SchemaMigrator;
import io.infrasage.pagerduty.outbox.LocalStore;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** Readiness on /observe/health: DOWN when ClickHouse is unreachable, or the outbox is stuck past its allowed age. */
public final class ReadinessChecks {

    private ReadinessChecks() {
    }

    public static final class ClickHouseCheck extends AbstractHealthCheck {
        private final ClickHouse clickHouse;
        private final SchemaMigrator schema;

        public ClickHouseCheck(ClickHouse clickHouse, SchemaMigrator schema) {
            super("infrasage", "clickhouse");
            this.clickHouse = clickHouse;
            this.schema = schema;
        }

        @Override
        public boolean isLiveness() {
            return false;
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

    public static final class OutboxCheck extends AbstractHealthCheck {
        private final LocalStore store;
        private final Duration maxAge;

        public OutboxCheck(LocalStore store, Duration maxAge) {
            super("infrasage", "pagerduty-outbox");
            this.store = store;
            this.maxAge = maxAge;
        }

        @Override
        public boolean isLiveness() {
            return false;
        }

        @Override
        protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
            long depth = store.depth();
            builder.detail("depth", depth);
            long ageMillis = store.oldestQueuedAt().map(t -> System.currentTimeMillis() - t).orElse(0L);
            builder.detail("oldest_age_seconds", ageMillis / 1000);
            if (ageMillis > maxAge.toMillis()) {
                builder.message("PagerDuty outbox stuck: oldest event queued " + ageMillis / 1000 + " s ago (limit "
                        + maxAge.toSeconds() + " s)").down();
            } else {
                builder.up();
            }
        }
    }
}
