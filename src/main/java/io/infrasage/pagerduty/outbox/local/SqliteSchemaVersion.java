package io.infrasage.pagerduty.outbox.local;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schema version of the local file (SQLite's user_version), said in the log when it changes. The tables and
 * columns themselves are created by the classes that use them (idempotent statements at open); this only records
 * which shape the file now has, so an operator sees that an upgrade changed it.
 */
final class SqliteSchemaVersion {

    private static final Logger LOG = LoggerFactory.getLogger(SqliteSchemaVersion.class);
    /**
     * Raise it with every table, column or index a define step adds. 1: anomalies (with resolved_by_kind, inhibited_by,
     * released_at, refused_at), blast_radius, held_events, outbox, clickhouse_spool. 2: outbox.traceparent.
     */
    static final int CURRENT = 2;

    private final SqliteFile file;
    private final Path dataDir;
    private final int found;
    private final boolean fresh;

    /** Reads the file's version before the define steps run. */
    SqliteSchemaVersion(SqliteFile file, Path dataDir) {
        this.file = file;
        this.dataDir = dataDir.toAbsolutePath();
        int[] read = file.read(db -> {
            try (Statement s = db.createStatement();
                 ResultSet version = s.executeQuery("PRAGMA user_version")) {
                int v = version.next() ? version.getInt(1) : 0;
                // new: none of the tables the first version had (the file itself may have made tables of its own)
                try (ResultSet tables = s.executeQuery("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                        + " AND name IN ('anomalies', 'outbox', 'clickhouse_spool')")) {
                    return new int[] {v, tables.next() ? tables.getInt(1) : 0};
                }
            }
        });
        this.found = read[0];
        this.fresh = read[1] == 0;
    }

    /** A column added after the first release: files written by an older bundle get it on open. */
    static void addColumnIfMissing(Statement s, String table, String column, String type) throws SQLException {
        try (ResultSet rs = s.executeQuery("PRAGMA table_info(" + table + ")")) {
            while (rs.next()) {
                if (rs.getString("name").equals(column)) {
                    return;
                }
            }
        }
        s.execute("ALTER TABLE " + table + " ADD COLUMN " + column + " " + type);
    }

    /** After the define steps: records CURRENT and says so when it differs from what the file had. */
    void record() {
        if (found == CURRENT) {
            return;
        }
        if (found > CURRENT) {
            LOG.warn("local outbox in {} has SQLite schema version {}, written by a newer bundle (this one knows {}); "
                    + "its tables are used as they are", dataDir, found, CURRENT);
            return;
        }
        file.define(db -> {
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA user_version = " + CURRENT);
            }
            return null;
        });
        if (fresh) {
            LOG.info("local outbox in {} created at SQLite schema version {}", dataDir, CURRENT);
        } else {
            LOG.info("local outbox in {} upgraded from SQLite schema version {} to {}", dataDir, found, CURRENT);
        }
    }
}
