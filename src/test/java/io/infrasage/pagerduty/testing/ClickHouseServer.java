package io.infrasage.pagerduty.testing;

/**
 * A ClickHouse server a test runs the bundle against: Debian's 18.16 through the driver's legacy path
 * (LocalClickHouse), or the 26.x engine through the JDBC v2 path that production takes (ChDbServer).
 */
public interface ClickHouseServer {

    /** The CLICKHOUSE_URL for a database of the test's own (created by the bundle). */
    String jdbcUrl(String database);

    /** A query's TSV answer, trimmed (for assertions). */
    String query(String sql);

    default long count(String sql) {
        return Long.parseLong(query(sql));
    }

    void start();

    void stop();
}
