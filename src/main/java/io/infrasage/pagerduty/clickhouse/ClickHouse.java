package io.infrasage.pagerduty.clickhouse;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

import javax.sql.DataSource;

/** The JDBC connection to ClickHouse and the database every table name is qualified with. */
public final class ClickHouse {

    /** The trivial query answers() runs. */
    static final String LIVENESS_SQL = "SELECT 1";

    private final DataSource dataSource;
    private final String database;

    public ClickHouse(String url, String user, String password, String database) {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        try {
            this.dataSource = new com.clickhouse.jdbc.ClickHouseDataSource(url, props);
        } catch (SQLException e) {
            throw new IllegalArgumentException("CLICKHOUSE_URL is not usable: " + e.getMessage(), e);
        }
        this.database = database;
    }

    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    public String database() {
        return database;
    }

    /** Table name qualified with the database: the driver does not switch databases from the URL on every server. */
    public String table(String name) {
        return database + "." + name;
    }

    /** True when ClickHouse answers a trivial query now. */
    public boolean answers() {
        try (Connection c = connection(); var s = c.createStatement()) {
            s.setQueryTimeout(3);
            try (var rs = s.executeQuery(LIVENESS_SQL)) {
                return rs.next();
            }
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }
}
