package io.infrasage.pagerduty.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import io.infrasage.pagerduty.BundleConfiguration;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;

class SchemaMigratorTest {

    static String resource(String file) throws IOException {
        try (InputStream in = SchemaMigratorTest.class.getClassLoader().getResourceAsStream("db/clickhouse/" + file)) {
            assertThat(in).as(file + " on the classpath").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void commentsAreDroppedAndDbIsSubstituted() {
        String script = """
                -- header comment with ${db} and a ; at the end;
                CREATE DATABASE IF NOT EXISTS ${db};

                    -- an indented comment
                CREATE TABLE IF NOT EXISTS ${db}.t
                (
                    a String
                )
                ENGINE = Memory;
                """;

        assertThat(SchemaMigrator.statements(script, "mydb")).containsExactly(
                "CREATE DATABASE IF NOT EXISTS mydb",
                "CREATE TABLE IF NOT EXISTS mydb.t\n(\n    a String\n)\nENGINE = Memory");
    }

    @Test
    void everyOccurrenceOfDbOnALineIsSubstituted() {
        assertThat(SchemaMigrator.statements("INSERT INTO ${db}.a SELECT * FROM ${db}.b;", "x"))
                .containsExactly("INSERT INTO x.a SELECT * FROM x.b");
    }

    @Test
    void onlyASemicolonAtTheEndOfALineEndsAStatement() {
        List<String> statements = SchemaMigrator.statements("SELECT 'a;b' AS v\nFROM t;\nSELECT 2;", "db");

        assertThat(statements).containsExactly("SELECT 'a;b' AS v\nFROM t", "SELECT 2");
    }

    @Test
    void trailingSpacesAfterTheSemicolonStillEndTheStatement() {
        assertThat(SchemaMigrator.statements("SELECT 1;   \nSELECT 2;\t", "db")).containsExactly("SELECT 1", "SELECT 2");
    }

    @Test
    void windowsLineEndsAreHandled() {
        assertThat(SchemaMigrator.statements("-- c\r\nCREATE DATABASE ${db};\r\nSELECT 1;\r\n", "db"))
                .containsExactly("CREATE DATABASE db", "SELECT 1");
    }

    @Test
    void aLastStatementWithoutSemicolonIsKept() {
        assertThat(SchemaMigrator.statements("SELECT 1;\nSELECT 2\n", "db")).containsExactly("SELECT 1", "SELECT 2");
    }

    @Test
    void scriptOfOnlyCommentsHasNoStatements() {
        assertThat(SchemaMigrator.statements("-- nothing\n\n  -- here\n", "db")).isEmpty();
    }

    @Test
    void migrationsListNamesTheVersionedFilesInOrder() throws IOException {
        List<String> files = SchemaMigrator.migrationFiles();

        assertThat(files).startsWith("V001__create_tables.sql").doesNotHaveDuplicates();
        for (String file : files) {
            // apply() reads the version from the name: V<number>__<name>.sql
            assertThat(file).matches("V\\d+__\\w+\\.sql");
            assertThat(resource(file)).isNotBlank();
        }
    }

    @Test
    void realV001CreatesTheDatabaseAndSixTablesAllQualifiedWithIt() throws IOException {
        List<String> statements = SchemaMigrator.statements(resource("V001__create_tables.sql"), "mydb");

        assertThat(statements).hasSize(7);
        assertThat(statements.get(0)).isEqualTo("CREATE DATABASE IF NOT EXISTS mydb");
        List<String> tables = statements.subList(1, 7);
        assertThat(tables).allSatisfy(s -> assertThat(s).startsWith("CREATE TABLE IF NOT EXISTS mydb.")
                .contains("ENGINE = ").doesNotEndWith(";"));
        assertThat(tables).extracting(s -> s.substring("CREATE TABLE IF NOT EXISTS mydb.".length()).split("\\s")[0])
                .containsExactly("anomaly_state", "audit_log", "incident_notes", "incident_memory", "webhook_deliveries",
                        "schema_migrations");
        assertThat(statements).allSatisfy(s -> assertThat(s).doesNotContain("${db}").doesNotContain("--"));
    }

    /** routes/clickhouse-schema.camel.yaml with its retry-with-backoff, as the bundle runs them: ClickHouse away at start. */
    @Test
    void theSchemaIsRetriedWhileClickHouseIsAwayAndAppliedOnceItAnswers() throws Exception {
        LocalClickHouse later = LocalClickHouse.privateServer(FreePorts.next(), FreePorts.next());
        String db = LocalClickHouse.uniqueDatabase("it_schema_retry");
        SchemaMigrator schema = new SchemaMigrator(new ClickHouse(later.jdbcUrl(db), "default", "", db));
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.getRegistry().bind("schemaMigrator", schema);
            camel.getRegistry().bind("bundleRunning", BundleConfiguration.BUNDLE_RUNNING);
            for (String file : List.of("error-handling.camel.yaml", "clickhouse-schema.camel.yaml")) {
                PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.resolveResource(camel,
                        "file:" + LocalClickHouse.projectRoot().resolve("routes").resolve(file)));
            }
            camel.start();
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> !schema.isApplied());
            assertThat(schema.lastError()).contains("Connect");

            later.start();
            await().atMost(Duration.ofSeconds(15)).until(schema::isApplied);
            assertThat(schema.lastError()).isNull();
            assertThat(later.count("SELECT count() FROM " + db + ".schema_migrations FINAL"))
                    .isEqualTo(SchemaMigrator.migrationFiles().size());
        } finally {
            later.stop();
        }
    }
}
