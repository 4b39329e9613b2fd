package io.infrasage.pagerduty.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class ClusterDdlTest {

    private final ClusterDdl cluster = new ClusterDdl("prod_ch");

    @Test
    void withoutAClusterEveryStatementRunsAsWritten() {
        String sql = "CREATE TABLE IF NOT EXISTS db.t (a String) ENGINE = ReplacingMergeTree(version) ORDER BY a";
        assertThat(new ClusterDdl("").apply(sql)).isEqualTo(sql);
        assertThat(new ClusterDdl(null).clustered()).isFalse();
        assertThat(new ClusterDdl("").skipsRecorded()).as("one server: every start repeats the idempotent DDL").isFalse();
        assertThat(cluster.skipsRecorded()).as("a cluster: recorded migrations ran on every node").isTrue();
    }

    @Test
    void theDatabaseIsCreatedOnTheWholeCluster() {
        assertThat(cluster.apply("CREATE DATABASE IF NOT EXISTS infrasage")).isEqualTo("CREATE DATABASE IF NOT EXISTS infrasage ON CLUSTER prod_ch");
    }

    @Test
    void tablesBecomeReplicatedKeptUnderTheirShardAndNamedByTheReplicaMacro() {
        assertThat(cluster.apply("CREATE TABLE IF NOT EXISTS infrasage.anomaly_state\n(\n    a String\n)\nENGINE = ReplacingMergeTree(version)\nORDER BY a"))
                .isEqualTo("CREATE TABLE IF NOT EXISTS infrasage.anomaly_state ON CLUSTER prod_ch\n(\n    a String\n)\n"
                        + "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/infrasage/anomaly_state', '{replica}', version)\nORDER BY a");
        assertThat(cluster.apply("CREATE TABLE IF NOT EXISTS infrasage.audit_log (a String) ENGINE = ReplacingMergeTree ORDER BY a"))
                .isEqualTo("CREATE TABLE IF NOT EXISTS infrasage.audit_log ON CLUSTER prod_ch (a String) "
                        + "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/infrasage/audit_log', '{replica}') ORDER BY a");
        assertThat(cluster.apply("CREATE TABLE IF NOT EXISTS infrasage.log (a String) ENGINE = MergeTree() ORDER BY a"))
                .contains("ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/infrasage/log', '{replica}') ORDER BY a");
    }

    @Test
    void altersRunOnTheWholeCluster() {
        assertThat(cluster.apply("ALTER TABLE infrasage.anomaly_state ADD COLUMN IF NOT EXISTS x String"))
                .isEqualTo("ALTER TABLE infrasage.anomaly_state ON CLUSTER prod_ch ADD COLUMN IF NOT EXISTS x String");
    }

    @Test
    void everyStatementOfTheMigrationsIsMadeForTheCluster() {
        for (String file : SchemaMigrator.migrationFiles()) {
            for (String sql : SchemaMigrator.statements(SchemaMigrator.read(file), "infrasage")) {
                assertThat(cluster.apply(sql)).as(sql).contains(" ON CLUSTER prod_ch").doesNotContainPattern("ENGINE = (Replacing)?MergeTree");
            }
        }
    }

    @Test
    void aClusterNameThatIsNotAnIdentifierIsRefused() {
        for (String bad : List.of("prod ch", "x;DROP", "1abc")) {
            assertThatThrownBy(() -> new ClusterDdl(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
