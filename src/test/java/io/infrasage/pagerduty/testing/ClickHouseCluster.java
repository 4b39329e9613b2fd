package io.infrasage.pagerduty.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.infrasage.pagerduty.clickhouse.ClusterDdl;
import org.awaitility.Awaitility;

/**
 * A replicated ClickHouse cluster for tests: two ClickHouse 18.16 servers (one shard, two replicas, on private ports
 * and folders, started by scripts/clickhouse.sh) and one ZooKeeper (scripts/zookeeper.sh), configured with
 * config/clickhouse-cluster.xml as docs/clickhouse-cluster.md asks of a production node. Every start is a new cluster:
 * the nodes' data and ZooKeeper's are wiped, so no replica waits for tables another run left behind.
 */
public final class ClickHouseCluster implements AutoCloseable {

    public static final String NAME = "infrasage_cluster";
    private static final int ZOOKEEPER_PORT = 12281;

    private final List<LocalClickHouse> nodes = List.of(LocalClickHouse.privateServer(18171, 19071),
            LocalClickHouse.privateServer(18172, 19072));
    private final Path zookeeperDir = LocalClickHouse.projectRoot().resolve(".local/zookeeper-" + ZOOKEEPER_PORT);

    public static ClickHouseCluster start() {
        ClickHouseCluster cluster = new ClickHouseCluster();
        cluster.startAll();
        return cluster;
    }

    private void startAll() {
        nodes.forEach(LocalClickHouse::stop);
        zookeeper("stop");
        ChDbServer.deleteRecursively(zookeeperDir);
        zookeeper("start");
        try {
            String template = Files.readString(LocalClickHouse.projectRoot().resolve("config/clickhouse-cluster.xml"));
            for (int i = 0; i < nodes.size(); i++) {
                LocalClickHouse node = nodes.get(i);
                ChDbServer.deleteRecursively(node.dir().resolve("data"));
                Files.createDirectories(node.dir().resolve("config.d"));
                Files.writeString(node.dir().resolve("config.d/cluster.xml"), template.replace("@CLUSTER@", NAME)
                        .replace("@ZOOKEEPER_PORT@", Integer.toString(ZOOKEEPER_PORT))
                        .replace("@INTERSERVER_PORT@", Integer.toString(node.tcpPort() + 100))
                        .replace("@NODE1_TCP_PORT@", Integer.toString(nodes.get(0).tcpPort()))
                        .replace("@NODE2_TCP_PORT@", Integer.toString(nodes.get(1).tcpPort()))
                        .replace("@REPLICA@", "replica" + (i + 1)));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot configure the cluster: " + e.getMessage(), e);
        }
        for (int n = 1; n <= nodes.size(); n++) {
            start(n);
        }
    }

    /**
     * Starts node 1 or 2 (no-op when it answers) and returns once it holds a ZooKeeper session: ClickHouse 18.16 answers
     * HTTP before that, and crashes on ON CLUSTER DDL that arrives without one.
     */
    public void start(int number) {
        LocalClickHouse node = node(number);
        node.start();
        Awaitility.await("node " + number + "'s ZooKeeper session").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> node.query(ClusterDdl.COORDINATION_CHECK) != null);
    }

    /** Node 1 or 2. */
    public LocalClickHouse node(int number) {
        return nodes.get(number - 1);
    }

    /** A CLICKHOUSE_URL naming both nodes, this one first (the legacy mode's parameters, as LocalClickHouse gives them). */
    public String bothNodesUrl(int first, String database) {
        LocalClickHouse a = node(first);
        LocalClickHouse b = node(3 - first);
        return a.jdbcUrl(database).replace("127.0.0.1:" + a.httpPort() + "/", "127.0.0.1:" + a.httpPort() + ",127.0.0.1:" + b.httpPort() + "/");
    }

    @Override
    public void close() {
        nodes.forEach(LocalClickHouse::stop);
        zookeeper("stop");
    }

    private void zookeeper(String command) {
        try {
            Path log = LocalClickHouse.projectRoot().resolve("target/zookeeper-script.log");
            Files.createDirectories(log.getParent());
            ProcessBuilder pb = new ProcessBuilder("bash", LocalClickHouse.projectRoot().resolve("scripts/zookeeper.sh").toString(), command)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(Map.of("ZOOKEEPER_PORT", Integer.toString(ZOOKEEPER_PORT), "ZOOKEEPER_DIR", zookeeperDir.toString()));
            Process p = pb.start();
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("scripts/zookeeper.sh " + command + " failed; see " + log);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run scripts/zookeeper.sh: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
