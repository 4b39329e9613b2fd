package io.infrasage.pagerduty.clickhouse;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The migrations' DDL as a replicated cluster needs it (CLICKHOUSE_CLUSTER): every CREATE and ALTER runs ON CLUSTER,
 * and each MergeTree engine becomes its Replicated twin, kept in ZooKeeper (or Keeper) under
 * /clickhouse/tables/{shard}/database/table with the node's {replica} macro, so every replica holds every row and the
 * migration record. The SQL files stay portable single-node SQL; without a cluster they run as written.
 */
public record ClusterDdl(String cluster) {

    private static final Pattern CREATE_DATABASE = Pattern.compile("^(CREATE DATABASE IF NOT EXISTS\\s+[\\w.`]+)", Pattern.CASE_INSENSITIVE);
    private static final Pattern CREATE_OR_ALTER_TABLE = Pattern.compile("^((?:CREATE TABLE IF NOT EXISTS|ALTER TABLE)\\s+([\\w`]+)\\.([\\w`]+))",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern ENGINE = Pattern.compile("ENGINE\\s*=\\s*(Replacing|Summing|Aggregating|Collapsing)?MergeTree(?:\\s*\\(([^)]*)\\))?",
            Pattern.CASE_INSENSITIVE);

    /** Answers only on a node that holds a ZooKeeper (or Keeper) session. */
    public static final String COORDINATION_CHECK = "SELECT count() FROM system.zookeeper WHERE path = '/'";

    public ClusterDdl {
        cluster = cluster == null ? "" : cluster.strip();
        if (!cluster.isEmpty() && !cluster.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("CLICKHOUSE_CLUSTER '" + cluster + "' is not a plain identifier");
        }
    }

    public boolean clustered() {
        return !cluster.isEmpty();
    }

    /**
     * Whether a migration the record holds is skipped at start-up. On a cluster it is: ON CLUSTER DDL waits for every
     * node (distributed_ddl_task_timeout, 180 s by default), so repeating it would keep a restarted instance's schema
     * unapplied, and its webhooks answered 503, for as long as any replica is down; a recorded migration ran on every
     * node, as its ON CLUSTER statements returned before the record was written. On one server repeating is cheap.
     */
    public boolean skipsRecorded() {
        return clustered();
    }

    /** The statement for this cluster; unchanged without one. */
    public String apply(String sql) {
        if (!clustered()) {
            return sql;
        }
        Matcher db = CREATE_DATABASE.matcher(sql);
        if (db.find()) {
            return db.replaceFirst("$1 ON CLUSTER " + cluster);
        }
        Matcher table = CREATE_OR_ALTER_TABLE.matcher(sql);
        if (!table.find()) {
            return sql;
        }
        String database = table.group(2).replace("`", "");
        String name = table.group(3).replace("`", "");
        String out = table.replaceFirst("$1 ON CLUSTER " + cluster);
        Matcher engine = ENGINE.matcher(out);
        if (engine.find()) {
            String kind = engine.group(1) == null ? "" : engine.group(1);
            String args = engine.group(2) == null || engine.group(2).isBlank() ? "" : ", " + engine.group(2).strip();
            String replicated = "ENGINE = Replicated" + kind + "MergeTree('/clickhouse/tables/{shard}/" + database + "/" + name
                    + "', '{replica}'" + args + ")";
            out = out.substring(0, engine.start()) + replicated + out.substring(engine.end());
        }
        return out;
    }
}
