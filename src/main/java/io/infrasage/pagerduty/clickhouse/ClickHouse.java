package io.infrasage.pagerduty.clickhouse;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

/**
 * The JDBC connection to ClickHouse and the database every table name is qualified with. When CLICKHOUSE_URL names
 * several nodes, connections go to the last node that answered, and to the next one that does when it stops answering.
 */
public final class ClickHouse {

    /** The trivial query answers() runs. */
    static final String LIVENESS_SQL = "SELECT 1";
    /** How long a node may take to answer its ping before the next one is tried. */
    private static final int PING_SECONDS = 2;

    private final List<DataSource> nodes = new ArrayList<>();
    private final String database;
    private final ClickHouseEndpoints endpoints;
    private final AtomicInteger current = new AtomicInteger();
    private final ClusterDdl ddl;

    public ClickHouse(String url, String user, String password, String database) {
        this(url, user, password, database, "");
    }

    /** With a cluster name (CLICKHOUSE_CLUSTER), the schema is made for every replica of that cluster. */
    public ClickHouse(String url, String user, String password, String database, String cluster) {
        this.ddl = new ClusterDdl(cluster);
        this.endpoints = ClickHouseEndpoints.of(url);
        Properties props = endpoints.driverProperties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        try {
            for (String node : endpoints.nodeUrls()) {
                nodes.add(new com.clickhouse.jdbc.ClickHouseDataSource(node, props));
            }
        } catch (SQLException e) {
            throw new IllegalArgumentException("CLICKHOUSE_URL is not usable: " + e.getMessage(), e);
        }
        this.database = database;
    }

    /**
     * A connection to one node: with several, the last that answered while it still does, else the next that does (a
     * ping each), else the last one, whose failure the caller then sees as with a single node.
     */
    public Connection connection() throws SQLException {
        int first = current.get();
        if (nodes.size() == 1) {
            return nodes.get(0).getConnection();
        }
        for (int i = 0; i < nodes.size(); i++) {
            int n = (first + i) % nodes.size();
            Connection c = null;
            try {
                c = nodes.get(n).getConnection();
                if (c.isValid(PING_SECONDS)) {
                    current.set(n);
                    return c;
                }
            } catch (SQLException | RuntimeException e) {
                // this node is away: try the next
            }
            closeQuietly(c);
        }
        return nodes.get(first).getConnection();
    }

    /** How the migrations' DDL runs here: on one server, or on every replica of the cluster. */
    public ClusterDdl ddl() {
        return ddl;
    }

    /** Whether the driver takes its legacy path (ClickHouse 18.16) rather than JDBC v2. */
    public boolean legacyDriver() {
        return endpoints.legacy();
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException | RuntimeException ignored) {
                // it did not answer anyway
            }
        }
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
