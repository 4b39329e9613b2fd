package io.infrasage.pagerduty.outbox.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.IntStream;

import io.infrasage.pagerduty.DependencyState;
import io.infrasage.pagerduty.clickhouse.ClickHouse;
import io.infrasage.pagerduty.clickhouse.ClickHouseWriter;
import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.clickhouse.SchemaMigrator;
import io.infrasage.pagerduty.clickhouse.StateRows;
import io.infrasage.pagerduty.testing.FreePorts;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.LocalKafka;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * routes/kafka-clickhouse-rows.camel.yaml, as Kafka mode runs it, against a real broker and a ClickHouse server of this
 * test's own: rows written through Kafka reach ClickHouse exactly once, those written while ClickHouse is stopped too
 * (they wait in Kafka while the route retries), and offsets are committed only once the rows are in, so a route
 * started again writes nothing twice.
 */
class KafkaRowsRouteIT {

    static final String TABLE = StateRows.STATE;

    static LocalKafka kafka;
    static LocalClickHouse clickHouse;
    static String db;
    static SchemaMigrator schema;
    static ClickHouseWriter writer;
    static KafkaTopics topics;
    static KafkaClients producing;
    static KafkaRowSpool spool;

    @BeforeAll
    static void brokerAndClickHouse() {
        kafka = LocalKafka.start();
        clickHouse = LocalClickHouse.privateServer(FreePorts.next(), FreePorts.next());
        clickHouse.start();
        db = LocalClickHouse.uniqueDatabase("it_rows_route");
        ClickHouse ch = new ClickHouse(clickHouse.jdbcUrl(db), "default", "", db);
        schema = new SchemaMigrator(ch);
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(schema::migrate);
        writer = new ClickHouseWriter(ch, schema);
        topics = new KafkaTopics("rows-" + UUID.randomUUID().toString().substring(0, 8) + ".", 2, (short) 1);
        producing = new KafkaClients(new org.apache.camel.component.kafka.KafkaConfiguration(), kafka.bootstrapServers(),
                Duration.ofSeconds(5));
        topics.createMissing(producing.admin(), Duration.ofSeconds(60));
        spool = new KafkaRowSpool(topics, producing, new KafkaWritability(producing::admin, List.of(topics.rows()),
                new DependencyState("Kafka", "rows wait"), 8), Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {producing, writer, clickHouse::stop, kafka}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // the next one still stops
            }
        }
    }

    /** The route file as the bundle loads it in Kafka mode, with its bean and the ClickHouse writes route, on the broker. */
    static DefaultCamelContext route(RowsTopicBatch batch) throws Exception {
        DefaultCamelContext camel = new DefaultCamelContext();
        Properties p = new Properties();
        p.setProperty("infrasage.queue", "kafka");
        p.setProperty("infrasage.kafka-rows-topic", topics.rows());
        p.setProperty("infrasage.kafka-rows-group", topics.rowsGroup());
        camel.getPropertiesComponent().setInitialProperties(p);
        KafkaClients.fromCamel(camel, kafka.bootstrapServers(), Duration.ofSeconds(5));
        camel.getRegistry().bind("rowsTopicBatch", batch);
        camel.getRegistry().bind("clickHouseWriter", writer);
        for (String file : List.of("kafka-clickhouse-rows", "clickhouse-writes")) {
            PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.resolveMandatoryResource(camel,
                    "file:" + LocalClickHouse.projectRoot().resolve("routes/" + file + ".camel.yaml")));
        }
        camel.start();
        return camel;
    }

    static List<Row> rows(String prefix, int n) {
        Instant at = Instant.parse("2026-12-07T12:00:00Z");
        return IntStream.range(0, n).mapToObj(i -> StateRows.state(prefix + i, "c-" + prefix + i, i + 1, at, "sent").build()).toList();
    }

    static long count(String sql) {
        return clickHouse.count(sql.replace("{rows}", db + "." + TABLE));
    }

    @Test
    void rowsWrittenThroughKafkaReachClickHouseExactlyOnceAlsoAcrossAClickHouseOutage() throws Exception {
        RowsTopicBatch batch = new RowsTopicBatch(writer);
        DefaultCamelContext camel = route(batch);
        try {
            for (int i = 0; i < 4; i++) {
                spool.spool(rows("up" + i + "-", 25));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT count() FROM {rows} FINAL") == 100);

            clickHouse.stop();
            for (int i = 0; i < 4; i++) {
                spool.spool(rows("down" + i + "-", 25));
            }
            // the route holds them while ClickHouse is away: read from Kafka, not written, not committed
            await().atMost(Duration.ofSeconds(10)).until(() -> batch.waiting() > 0);
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> batch.waiting() > 0);
            clickHouse.start();

            await().atMost(Duration.ofSeconds(45)).ignoreExceptions()
                    .until(() -> count("SELECT count() FROM {rows} FINAL") == 200);
            await().atMost(Duration.ofSeconds(10)).until(() -> batch.waiting() == 0);
            assertThat(count("SELECT count() FROM {rows} WHERE anomaly_id LIKE 'down%'")).as("rows written while ClickHouse was away, raw")
                    .isEqualTo(100);
            await().atMost(Duration.ofSeconds(10)).until(this::committedToTheEnd);
        } finally {
            camel.close();
        }

        // a route started again (another instance, a restart) reads from the committed offsets: nothing is written twice
        RowsTopicBatch again = new RowsTopicBatch(writer);
        DefaultCamelContext restarted = route(again);
        try {
            spool.spool(rows("after-", 10));
            await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT count() FROM {rows} FINAL") == 210);
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                    .until(() -> count("SELECT count() FROM {rows}") == 210);
        } finally {
            restarted.close();
        }
    }

    /** The rows group's committed offsets are the topic's end offsets. */
    boolean committedToTheEnd() throws Exception {
        var admin = producing.admin();
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed = admin
                .listConsumerGroupOffsets(topics.rowsGroup()).partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> latest = IntStream.range(0, 2).boxed()
                .collect(java.util.stream.Collectors.toMap(p -> new TopicPartition(topics.rows(), p), p -> OffsetSpec.latest()));
        var ends = admin.listOffsets(latest).all().get();
        return ends.entrySet().stream().allMatch(e -> committed.containsKey(e.getKey())
                && committed.get(e.getKey()).offset() == e.getValue().offset());
    }
}
