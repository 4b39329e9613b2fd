package io.infrasage.pagerduty.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import io.infrasage.pagerduty.testing.CapturedLog;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.Test;

/** An upgrade, as an operator reads it in the log: which migration the bundle applied, and the local file's version. */
class SchemaUpgradeIT {

    private final LocalClickHouse clickHouse = LocalClickHouse.shared();

    @Test
    void startingOnADatabaseOfThePreviousSchemaNamesTheMigrationItApplies() {
        String db = LocalClickHouse.uniqueDatabase("it_upgrade");
        // the previous release's schema: V001 applied and recorded, nothing after it
        String first = SchemaMigrator.migrationFiles().get(0);
        for (String sql : SchemaMigrator.statements(SchemaMigrator.read(first), db)) {
            clickHouse.query(sql);
        }
        clickHouse.query(SchemaMigrator.recordSql(db + ".schema_migrations", first));
        List<String> later = SchemaMigrator.migrationFiles().subList(1, SchemaMigrator.migrationFiles().size());
        assertThat(later).as("migrations after V001").isNotEmpty();

        Map<String, String> s = RunningBundle.baseSettings(clickHouse.jdbcUrl(db));
        s.put("pagerduty.service-key", "U".repeat(32));
        try (CapturedLog log = new CapturedLog(); RunningBundle bundle = RunningBundle.start(s)) {
            String text = log.text();
            for (String file : later) {
                assertThat(text).contains("ClickHouse migration " + file + " applied to database " + db);
            }
            assertThat(text).doesNotContain("ClickHouse migration " + first + " applied");
            assertThat(text).contains("ClickHouse schema is up to date in database " + db + " (version "
                    + SchemaMigrator.version(later.get(later.size() - 1)) + ")");
            assertThat(text).contains("local outbox in " + bundle.dataDir().toAbsolutePath() + " created at SQLite schema version");
            assertThat(clickHouse.count("SELECT count() FROM " + db + ".schema_migrations FINAL"))
                    .isEqualTo(SchemaMigrator.migrationFiles().size());
        }

        // started again: nothing new to apply, nothing named
        try (CapturedLog log = new CapturedLog(); RunningBundle bundle = RunningBundle.start(s)) {
            assertThat(log.text()).doesNotContain("ClickHouse migration ").contains("ClickHouse schema is up to date in database " + db);
        }
    }

    @Test
    void clusterDdlIsNotSentToANodeWithoutAZooKeeperSession() {
        String db = LocalClickHouse.uniqueDatabase("it_nozk");
        // the shared server has no ZooKeeper configured: ON CLUSTER DDL could not run there
        SchemaMigrator migrator = new SchemaMigrator(new ClickHouse(clickHouse.jdbcUrl(db), "default", "", db, "infrasage_cluster"));

        assertThat(migrator.tryApply()).isFalse();
        assertThat(migrator.isApplied()).isFalse();
        assertThat(migrator.lastError()).contains("no ZooKeeper/Keeper session, which ON CLUSTER DDL needs");
        assertThat(clickHouse.count("SELECT count() FROM system.databases WHERE name = '" + db + "'")).isZero();
    }
}
