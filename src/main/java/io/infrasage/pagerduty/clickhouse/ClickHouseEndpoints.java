package io.infrasage.pagerduty.clickhouse;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * What CLICKHOUSE_URL names: one JDBC URL per ClickHouse node (jdbc:clickhouse://node1:8123,node2:8123/db names two),
 * and the driver path it takes. A plain URL takes the JDBC v2 path, which production uses; clickhouse.jdbc.v1=true
 * takes the legacy path that ClickHouse 18.16 needs.
 */
public record ClickHouseEndpoints(List<String> nodeUrls, boolean legacy) {

    public ClickHouseEndpoints {
        nodeUrls = List.copyOf(nodeUrls);
    }

    public static ClickHouseEndpoints of(String url) {
        int start = url.indexOf("//");
        if (start < 0) {
            throw new IllegalArgumentException("CLICKHOUSE_URL has no //host: " + url);
        }
        String prefix = url.substring(0, start + 2);
        String rest = url.substring(start + 2);
        int end = firstOf(rest, "/?");
        String hosts = rest.substring(0, end);
        String tail = rest.substring(end);
        boolean legacy = tail.contains("clickhouse.jdbc.v1=true");
        if (!legacy) {
            // the v2 driver selects the URL's database on every request, and ClickHouse refuses a database that does not
            // exist yet, so the bundle could never create it; every table name is qualified with it instead (ClickHouse.table)
            int q = tail.indexOf('?');
            tail = "/" + (q < 0 ? "" : tail.substring(q));
        }
        List<String> nodes = new ArrayList<>();
        for (String host : hosts.split(",")) {
            if (!host.isBlank()) {
                nodes.add(prefix + host.strip() + tail);
            }
        }
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("CLICKHOUSE_URL names no host: " + url);
        }
        return new ClickHouseEndpoints(nodes, legacy);
    }

    /**
     * The driver properties besides user and password. On the v2 path every INSERT is synchronous (async_insert=0):
     * since driver 0.10 it no longer forces that, and a modern server may have asynchronous inserts on, answering an
     * INSERT before its rows are written, while the bundle answers a webhook 2xx only once its rows are persisted.
     * ClickHouse 18.16 knows no such setting, and its inserts are synchronous anyway.
     */
    public Properties driverProperties() {
        Properties props = new Properties();
        if (!legacy) {
            props.setProperty("clickhouse_setting_async_insert", "0");
        }
        return props;
    }

    private static int firstOf(String s, String chars) {
        int best = s.length();
        for (char c : chars.toCharArray()) {
            int i = s.indexOf(c);
            if (i >= 0 && i < best) {
                best = i;
            }
        }
        return best;
    }
}
