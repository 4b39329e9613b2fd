package io.infrasage.pagerduty.outbox.local;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.outbox.RowSpool;

/** The clickhouse_spool table of the local file: state and audit rows waiting for ClickHouse, oldest first. */
public final class SqliteRowSpool implements RowSpool {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> ROW = new TypeReference<>() { };

    private final SqliteFile file;

    SqliteRowSpool(SqliteFile file) {
        this.file = file;
        file.define(db -> {
            try (Statement s = db.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS clickhouse_spool (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                        + " table_name TEXT NOT NULL, row_json TEXT NOT NULL)");
            }
            return null;
        });
    }

    @Override
    public void spool(List<Row> rows) {
        file.write(db -> {
            spool(db, rows);
            return null;
        });
    }

    /** Spools rows inside the caller's write (an accept, a resolve, a delivery), atomically with it. */
    void spool(Connection db, List<Row> rows) throws Exception {
        try (PreparedStatement ps = db.prepareStatement("INSERT INTO clickhouse_spool (table_name, row_json) VALUES (?,?)")) {
            for (Row r : rows) {
                ps.setString(1, r.table());
                ps.setString(2, JSON.writeValueAsString(r.values()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Rows spooled for ClickHouse, oldest first. */
    @Override
    public List<Spooled> spooled(int limit) {
        return file.read(db -> {
            List<Spooled> out = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement("SELECT seq, table_name, row_json FROM clickhouse_spool ORDER BY seq LIMIT ?")) {
                ps.setInt(1, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Spooled(rs.getLong(1), new Row(rs.getString(2), JSON.readValue(rs.getString(3), ROW))));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public void unspool(long upToSeqInclusive) {
        file.write(db -> {
            try (PreparedStatement ps = db.prepareStatement("DELETE FROM clickhouse_spool WHERE seq <= ?")) {
                ps.setLong(1, upToSeqInclusive);
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public long depth() {
        return file.read(db -> SqliteOutbox.single(db, "SELECT COUNT(*) FROM clickhouse_spool").orElse(0L));
    }
}
