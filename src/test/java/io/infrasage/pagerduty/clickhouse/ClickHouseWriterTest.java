package io.infrasage.pagerduty.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.infrasage.pagerduty.testing.LocalClickHouse;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ClickHouseWriterTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "String   | ?",
            "UInt8    | ?",
            "UInt32   | ?",
            "UInt64   | ?",
            "Int64    | ?",
            "Float64  | ?",
            "DateTime | toDateTime(toString(?), 'UTC')"})
    void plainValuesAreLiteralsAndDateTimeIsReadAsUtc(String type, String expected) {
        assertThat(ClickHouseWriter.castFor(type)).isEqualTo(expected);
    }

    @Test
    void memoryRowsGoInAfterTheStateTheyAreJoinedWithAndDeliveriesLast() {
        assertThat(ClickHouseWriter.insertOrder(List.of(StateRows.MEMORY, StateRows.DELIVERIES, StateRows.STATE, StateRows.AUDIT)))
                .containsExactly(StateRows.STATE, StateRows.AUDIT, StateRows.MEMORY, StateRows.DELIVERIES);
    }

    @Test
    void aStatementAlwaysKeepsOneExpressionSoTheDriverStaysInItsSqlMode() {
        assertThat(ClickHouseWriter.placeholders(java.util.List.of("String", "UInt64", "DateTime")))
                .containsExactly("?", "?", "toDateTime(toString(?), 'UTC')");
        assertThat(ClickHouseWriter.placeholders(java.util.List.of("String", "UInt64")))
                .containsExactly("toString(?)", "?");
    }

    @ParameterizedTest(name = "{0} is not supported")
    @ValueSource(strings = {"Array(String)", "Nullable(String)", "DateTime64(3)", "LowCardinality(String)", "UInt128",
            "Stringy", "Date"})
    void unsupportedColumnTypesAreRefusedByName(String type) {
        assertThatThrownBy(() -> ClickHouseWriter.castFor(type))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(type);
    }

    @Test
    void everyColumnTypeOfTheSchemaIsSupported() throws IOException {
        // the writer builds its INSERTs from system.columns, so every type the migrations create must have a cast
        Set<String> types = new LinkedHashSet<>();
        Pattern column = Pattern.compile("(?m)^\\s+\\w+\\s+([A-Za-z0-9()]+),?$");
        for (String file : SchemaMigrator.migrationFiles()) {
            for (String sql : SchemaMigrator.statements(SchemaMigratorTest.resource(file), "db")) {
                Matcher m = column.matcher(sql);
                while (m.find()) {
                    types.add(m.group(1));
                }
            }
        }

        assertThat(types).contains("String", "UInt64", "DateTime", "Float64", "UInt8", "UInt32");
        assertThat(types).allSatisfy(t -> assertThat(ClickHouseWriter.castFor(t)).contains("?"));
    }

    @Test
    void instantIsWrittenAsUtcSecondsWithoutFraction() {
        // a non-UTC default zone catches a zone looked up per call; one captured at class load is only caught when
        // the JVM itself runs outside UTC
        TimeZone before = TimeZone.getDefault();
        try {
            TimeZone.setDefault(TimeZone.getTimeZone("Asia/Kolkata"));

            assertThat(ClickHouseWriter.jdbcValue("DateTime", Instant.parse("2025-01-15T23:30:59.987Z")))
                    .isEqualTo("2025-01-15 23:30:59");
        } finally {
            TimeZone.setDefault(before);
        }
    }

    @Test
    void isoTextForADateTimeColumnIsReformatted() {
        assertThat(ClickHouseWriter.jdbcValue("DateTime", "2020-10-02T18:45:22.169Z")).isEqualTo("2020-10-02 18:45:22");
    }

    @Test
    void missingDateTimeIsTheEpoch() {
        assertThat(ClickHouseWriter.jdbcValue("DateTime", null)).isEqualTo("1970-01-01 00:00:00");
    }

    @Test
    void stringColumnsGetTextAndNullBecomesEmpty() {
        assertThat(ClickHouseWriter.jdbcValue("String", null)).isEqualTo("");
        assertThat(ClickHouseWriter.jdbcValue("String", 42)).isEqualTo("42");
        assertThat(ClickHouseWriter.jdbcValue("String", "payment-api")).isEqualTo("payment-api");
    }

    @Test
    void numericColumnsGetZeroForNullAndOneOrZeroForBooleans() {
        assertThat(ClickHouseWriter.jdbcValue("UInt64", null)).isEqualTo(0);
        assertThat(ClickHouseWriter.jdbcValue("UInt8", true)).isEqualTo(1);
        assertThat(ClickHouseWriter.jdbcValue("UInt8", false)).isEqualTo(0);
        assertThat(ClickHouseWriter.jdbcValue("UInt64", 7L)).isEqualTo(7L);
        assertThat(ClickHouseWriter.jdbcValue("Float64", 0.93)).isEqualTo(0.93);
    }

    @Test
    void aFullQueueRefusesAtOnceWithPersistenceUnavailableInsteadOfGrowing() {
        ClickHouse nowhere = new ClickHouse("jdbc:clickhouse://127.0.0.1:1/none", "default", "", "none");
        // no route writes what waits, so the queue's bound is what answers
        ClickHouseWriter writer = new ClickHouseWriter(nowhere, new SchemaMigrator(nowhere), 2);
        java.util.List<Row> rows = java.util.List.of(Row.into("t").set("c", "v").build());
        var first = writer.submit(rows);
        var second = writer.submit(rows);
        var third = writer.submit(rows);

        assertThat(first).isNotDone();
        assertThat(second).isNotDone();
        assertThat(third).isCompletedExceptionally();
        assertThatThrownBy(third::join).hasCauseInstanceOf(PersistenceUnavailableException.class)
                .hasMessageContaining("requests waiting");
        writer.close();
        assertThat(first).isCompletedExceptionally();
    }

    @Test
    void jsonRowsGiveEveryColumnNumbersUnquotedAndTimesAsUtcEpochSeconds() {
        Map<String, String> types = new LinkedHashMap<>();
        types.put("at", "DateTime");
        types.put("name", "String");
        types.put("n", "UInt64");
        types.put("ok", "UInt8");
        Row row = Row.into("t").set("at", Instant.parse("2025-01-15T23:30:59.987Z")).set("name", "a \"b\"\n").set("ok", true)
                .set("n", "7").build();

        String json = new String(ClickHouseWriter.jsonEachRow(List.copyOf(types.keySet()), types, List.of(row)), StandardCharsets.UTF_8);

        assertThat(json.strip()).isEqualTo("{\"at\":1736983859,\"name\":\"a \\\"b\\\"\\n\",\"n\":7,\"ok\":1}");
        assertThat(ClickHouseWriter.jsonInsertSql("db.t", List.copyOf(types.keySet())))
                .isEqualTo("INSERT INTO db.t (at, name, n, ok) FORMAT JSONEachRow");
    }

    /** On ClickHouse 18.16 through the legacy driver, as the bundle writes: text, times and repeats. */
    @Test
    void rowsReachClickHouseWholeAndADeliveryIsWrittenOnce() throws Exception {
        LocalClickHouse server = LocalClickHouse.shared();
        String db = LocalClickHouse.uniqueDatabase("it_writer");
        ClickHouse clickHouse = new ClickHouse(server.jdbcUrl(db), "default", "", db);
        SchemaMigrator schema = new SchemaMigrator(clickHouse);
        assertThat(schema.tryApply()).as("schema applied: %s", schema.lastError()).isTrue();
        try (ClickHouseWriter writer = new ClickHouseWriter(clickHouse, schema); CamelContext route = writesRoute(writer)) {
            String awkward = "max_connections=10 \\ too low; see 'runbook #7'\tZo\u00eb \u2713 ?\n\"quoted\"";
            Instant at = Instant.parse("2025-03-01T10:00:59.900Z");
            String delivery = "evt-'1\\";
            List<Row> rows = List.of(
                    StateRows.audit(at, delivery + "/a-1", "a-1", "acknowledged", "engineer", awkward, "webhook").build(),
                    Row.into(StateRows.DELIVERIES).set("event_id", delivery).set("received_at", at).build());

            assertThat(writer.writeOnce(delivery, rows, Duration.ofSeconds(10))).isTrue();
            assertThat(writer.writeOnce(delivery, rows, Duration.ofSeconds(10))).as("a repeat").isFalse();
            try (ClickHouseWriter restarted = new ClickHouseWriter(clickHouse, schema); CamelContext again = writesRoute(restarted)) {
                assertThat(restarted.writeOnce(delivery, rows, Duration.ofSeconds(10))).as("a repeat after a restart").isFalse();
            }

            assertThat(server.query("SELECT hex(actor_name), toString(at, 'UTC') FROM " + db + ".audit_log"))
                    .isEqualTo(java.util.HexFormat.of().withUpperCase().formatHex(awkward.getBytes(StandardCharsets.UTF_8))
                            + "\t2025-03-01 10:00:59");
            assertThat(server.query("SELECT count(), toString(max(received_at), 'UTC') FROM " + db + ".webhook_deliveries"))
                    .isEqualTo("1\t2025-03-01 10:00:59");
        } finally {
            server.query("DROP DATABASE IF EXISTS " + db);
        }
    }

    /** routes/clickhouse-writes.camel.yaml, writing what waits in this writer, as the bundle runs it. */
    private static CamelContext writesRoute(ClickHouseWriter writer) throws Exception {
        CamelContext camel = new DefaultCamelContext();
        camel.getRegistry().bind("clickHouseWriter", writer);
        PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.resolveResource(camel,
                "file:" + LocalClickHouse.projectRoot().resolve("routes/clickhouse-writes.camel.yaml")));
        camel.start();
        return camel;
    }
}
