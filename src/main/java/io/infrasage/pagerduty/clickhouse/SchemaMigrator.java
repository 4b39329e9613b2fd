package io.infrasage.pagerduty.clickhouse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the bundle's database and tables from the versioned SQL files in db/clickhouse (listed, in order, in
 * migrations.txt). Every statement is idempotent, so starting twice, or several instances at once, changes nothing.
 * routes/clickhouse-schema.camel.yaml runs it at start and retries it until ClickHouse answers: paging never waits for it.
 */
public final class SchemaMigrator {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrator.class);
    private static final String DIR = "db/clickhouse/";

    private final ClickHouse clickHouse;
    private volatile boolean applied;
    private volatile String lastError = "not yet tried";
    /** Whether the log said the schema waits for ClickHouse: once per outage at start, not once per retry. */
    private boolean warned;

    public SchemaMigrator(ClickHouse clickHouse) {
        this.clickHouse = clickHouse;
    }

    /**
     * Route step: applies the schema, or throws so that the route's redelivery tries again later. Start-up does not
     * wait for it: readiness reports DOWN until it is applied, and pages go out meanwhile.
     */
    public void migrate() {
        if (!tryApply()) {
            if (!warned) {
                warned = true;
                LOG.warn("ClickHouse schema not applied yet ({}); retrying with backoff, pages still go out meanwhile", lastError);
            }
            throw new PersistenceUnavailableException("ClickHouse schema not applied yet: " + lastError, null);
        }
    }

    public boolean isApplied() {
        return applied;
    }

    public String lastError() {
        return lastError;
    }

    boolean tryApply() {
        try {
            apply();
            lastError = null;
            applied = true;
            return true;
        } catch (SQLException | RuntimeException e) {
            lastError = e.getClass().getSimpleName() + ": " + firstLine(e.getMessage());
            return false;
        }
    }

    /**
     * Applies every migration in order, naming in the log each one the database had not recorded yet. Public for tools
     * and tests that need the schema synchronously.
     */
    public void apply() throws SQLException {
        List<String> files = migrationFiles();
        try (Connection c = clickHouse.connection(); Statement s = c.createStatement()) {
            Set<Integer> recorded = recordedVersions(c);
            if (clickHouse.ddl().clustered() && files.stream().anyMatch(f -> !recorded.contains(version(f)))) {
                requireCoordination(s);
            }
            for (String file : files) {
                if (clickHouse.ddl().skipsRecorded() && recorded.contains(version(file))) {
                    continue;
                }
                for (String sql : statements(read(file), clickHouse.database())) {
                    s.execute(clickHouse.ddl().apply(sql));
                }
                s.execute(recordSql(clickHouse.table("schema_migrations"), file));
                if (!recorded.contains(version(file))) {
                    LOG.info("ClickHouse migration {} applied to database {}", file, clickHouse.database());
                }
            }
        }
        LOG.info("ClickHouse schema is up to date in database {} (version {})", clickHouse.database(),
                version(files.get(files.size() - 1)));
    }

    /**
     * ON CLUSTER DDL goes through ZooKeeper (or Keeper): without a session the node cannot run it, and ClickHouse 18.16
     * crashes on it, so it is not sent until the node has one.
     */
    private static void requireCoordination(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery(ClusterDdl.COORDINATION_CHECK)) {
            rs.next();
        } catch (SQLException e) {
            throw new SQLException("the node has no ZooKeeper/Keeper session, which ON CLUSTER DDL needs: " + firstLine(e.getMessage()), e);
        }
    }

    /** The versions schema_migrations holds; none when the database or the table does not exist yet. */
    private Set<Integer> recordedVersions(Connection c) {
        Set<Integer> versions = new HashSet<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT version FROM " + clickHouse.table("schema_migrations"))) {
            while (rs.next()) {
                versions.add(rs.getInt(1));
            }
        } catch (SQLException e) {
            // a new database: V001 creates the table, and every migration is new to it
        }
        return versions;
    }

    /** The version in a migration file's name: V<version>__<name>.sql. */
    static int version(String file) {
        return Integer.parseInt(file.substring(1, file.indexOf("__")));
    }

    /** Records a migration file (V<version>__<name>.sql) as applied, unless its version already is. */
    static String recordSql(String migrationsTable, String file) {
        int version = version(file);
        return "INSERT INTO " + migrationsTable + " (version, name, applied_at) SELECT "
                + version + ", '" + file + "', now() FROM system.one WHERE (SELECT count() FROM "
                + migrationsTable + " WHERE version = " + version + ") = 0";
    }

    static List<String> migrationFiles() {
        return read("migrations.txt").lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    /** Splits a migration into statements: comments dropped, ${db} replaced, one statement per ';' at a line end. */
    static List<String> statements(String script, String database) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("--")) {
                continue;
            }
            current.append(line.replace("${db}", database)).append('\n');
            if (l.endsWith(";")) {
                String sql = current.toString().strip();
                out.add(sql.substring(0, sql.length() - 1));
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            out.add(current.toString().strip());
        }
        return out;
    }

    static String read(String name) {
        try (InputStream in = SchemaMigrator.class.getClassLoader().getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("missing " + DIR + name + " on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + DIR + name, e);
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
