package io.infrasage.pagerduty.outbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

import io.infrasage.pagerduty.testing.CapturedLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local file's schema version is recorded in the file and said in the log when, and only when, it changes. */
class SqliteSchemaVersionTest {

    @TempDir
    Path dir;

    @Test
    void aNewFileSaysItsVersionAnOlderFileSaysItsUpgradeAndAnUnchangedOneSaysNothing() throws Exception {
        try (CapturedLog log = new CapturedLog()) {
            new LocalStore(dir).close();
            assertThat(log.text()).contains("local outbox in " + dir.toAbsolutePath() + " created at SQLite schema version "
                    + SqliteSchemaVersion.CURRENT);
        }
        assertThat(userVersion()).isEqualTo(SqliteSchemaVersion.CURRENT);

        try (CapturedLog log = new CapturedLog()) {
            new LocalStore(dir).close();
            assertThat(log.text()).doesNotContain("SQLite schema version");
        }

        // a file written before versions were recorded
        setUserVersion(0);
        try (CapturedLog log = new CapturedLog()) {
            new LocalStore(dir).close();
            assertThat(log.text()).contains("local outbox in " + dir.toAbsolutePath() + " upgraded from SQLite schema version 0 to "
                    + SqliteSchemaVersion.CURRENT);
        }
        assertThat(userVersion()).isEqualTo(SqliteSchemaVersion.CURRENT);

        // written by a newer bundle: said, and not lowered
        setUserVersion(SqliteSchemaVersion.CURRENT + 1);
        try (CapturedLog log = new CapturedLog()) {
            new LocalStore(dir).close();
            assertThat(log.text()).contains("has SQLite schema version " + (SqliteSchemaVersion.CURRENT + 1) + ", written by a newer bundle");
        }
        assertThat(userVersion()).isEqualTo(SqliteSchemaVersion.CURRENT + 1);
    }

    private Connection open() throws Exception {
        return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("bundle.db").toAbsolutePath());
    }

    private int userVersion() throws Exception {
        try (Connection c = open(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
            return rs.next() ? rs.getInt(1) : -1;
        }
    }

    private void setUserVersion(int version) throws Exception {
        try (Connection c = open(); Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = " + version);
        }
    }
}
