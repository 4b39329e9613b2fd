package io.infrasage.pagerduty.clickhouse;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.clickhouse.client.ClickHouseException;
import com.clickhouse.client.ClickHouseResponse;
import com.clickhouse.data.ClickHouseRecord;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.infrasage.pagerduty.BoundedMaps;
import io.infrasage.pagerduty.DependencyState;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes rows to ClickHouse in batches: requests that arrive while a batch is being written go out together in the
 * next one (one INSERT per table), so webhook throughput is not one insert per request, while each caller still learns
 * whether its own rows were persisted. Column types come from system.columns, so the SQL files stay the only
 * definition of the schema. On the legacy driver (ClickHouse 18.16) a batch is one duplicate query and one
 * JSONEachRow INSERT per table, sent through the driver's own client; on the modern driver, plain JDBC.
 */
public final class ClickHouseWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseWriter.class);
    private static final JsonFactory JSON = new JsonFactory();
    private static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
    /** Rows per INSERT at most: big enough to absorb a burst, small enough to keep one HTTP request modest. */
    static final int MAX_BATCH_ROWS = 5_000;
    /** Requests that may wait for the writer; see the queue. */
    static final int MAX_PENDING = 10_000;
    /** Delivery ids remembered in memory; older repeats are still caught by the query on webhook_deliveries. */
    static final int RECENT_DELIVERIES = 100_000;
    /** The columns of a table and their types, in table order (parameters: database, table). */
    static final String COLUMN_TYPES_SQL = "SELECT name, type FROM system.columns WHERE database = ? AND table = ?";

    private final ClickHouse clickHouse;
    private final SchemaMigrator schema;
    /**
     * Requests waiting for routes/clickhouse-writes.camel.yaml, at most MAX_PENDING: under a flood a caller is refused at
     * once (a webhook gets 503 and PagerDuty redelivers, the outbound spool retries) instead of the queue filling the heap.
     */
    private final BlockingQueue<Pending> queue;
    private final Map<String, Map<String, String>> columnTypes = new ConcurrentHashMap<>();
    private final RecentIds recentDeliveries = new RecentIds();
    /**
     * The writing route's own connection and its INSERT statements, one per table, kept across batches: the legacy
     * JDBC driver builds an HTTP client for every new connection and parses the SQL of every statement it prepares,
     * which would cost more CPU than the rows themselves. Dropped after any failure; the next batch connects again.
     */
    private Connection connection;
    private final Map<String, PreparedStatement> inserts = new HashMap<>();
    private com.clickhouse.jdbc.ClickHouseStatement legacy;
    private boolean modernDriver;
    private volatile MeterRegistry meters;
    private volatile boolean running = true;

    private final DependencyState state = new DependencyState("ClickHouse",
            "pages still go out; state rows wait in the local spool and webhooks are answered 503 until it is back");

    public ClickHouseWriter(ClickHouse clickHouse, SchemaMigrator schema) {
        this(clickHouse, schema, MAX_PENDING);
    }

    /** Whether ClickHouse took the last batch; logs once when that changes. */
    public DependencyState state() {
        return state;
    }

    ClickHouseWriter(ClickHouse clickHouse, SchemaMigrator schema, int capacity) {
        this.queue = new LinkedBlockingQueue<>(capacity);
        this.clickHouse = clickHouse;
        this.schema = schema;
    }

    /** Both outcomes are exported from the start, so the first failure shows in rate() and alerts. */
    public void bindMetrics(MeterRegistry registry) {
        timer(registry, "ok");
        timer(registry, "failed");
        this.meters = registry;
    }

    /** Queues rows for the next batch; the future completes when they are persisted, or fails. */
    public CompletableFuture<Boolean> submit(List<Row> rows) {
        return enqueue(new Pending(null, rows, new CompletableFuture<>()));
    }

    /**
     * Persists the rows of one webhook delivery exactly once: when a delivery with this id was already persisted
     * (by this process or, per webhook_deliveries, by any before it) nothing is written and the result is false.
     * The delivery row itself must be among the rows.
     */
    public boolean writeOnce(String deliveryId, List<Row> rows, Duration timeout) {
        return await(enqueue(new Pending(deliveryId, rows, new CompletableFuture<>())), timeout);
    }

    private CompletableFuture<Boolean> enqueue(Pending p) {
        if (p.rows.isEmpty()) {
            p.done.complete(true);
        } else if (!running) {
            p.done.completeExceptionally(new PersistenceUnavailableException("writer stopped", null));
        } else {
            if (!queue.offer(p)) {
                p.done.completeExceptionally(new PersistenceUnavailableException(
                        "ClickHouse writer has " + queue.size() + " requests waiting; try again later", null));
            }
        }
        return p.done;
    }

    /** Writes and waits; throws PersistenceUnavailableException when ClickHouse did not take them within the timeout. */
    public void write(List<Row> rows, Duration timeout) {
        await(submit(rows), timeout);
    }

    private static boolean await(CompletableFuture<Boolean> done, Duration timeout) {
        try {
            return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof PersistenceUnavailableException pue ? pue
                    : new PersistenceUnavailableException("ClickHouse write failed: " + cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw new PersistenceUnavailableException("ClickHouse did not take the write within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PersistenceUnavailableException("interrupted", e);
        }
    }

    /**
     * Route step (routes/clickhouse-writes.camel.yaml): writes the requests waiting, up to MAX_BATCH_ROWS rows, as one
     * batch. False when none waited, so that the route polls again only after its delay.
     */
    public boolean writeWaiting() {
        List<Pending> batch = new ArrayList<>();
        int rows = 0;
        Pending next;
        while (rows < MAX_BATCH_ROWS && (next = queue.poll()) != null) {
            batch.add(next);
            rows += next.rows.size();
        }
        if (!batch.isEmpty()) {
            writeBatch(batch);
        }
        return !batch.isEmpty();
    }

    private void writeBatch(List<Pending> batch) {
        long start = System.nanoTime();
        try {
            if (!schema.isApplied()) {
                throw new PersistenceUnavailableException("ClickHouse schema not applied yet: " + schema.lastError(), null);
            }
            List<Pending> fresh = withoutRepeats(batch);
            Map<String, List<Row>> byTable = new LinkedHashMap<>();
            for (Pending p : fresh) {
                for (Row r : p.rows) {
                    byTable.computeIfAbsent(r.table(), t -> new ArrayList<>()).add(r);
                }
            }
            for (String table : insertOrder(byTable.keySet())) {
                insert(table, byTable.get(table));
            }
            for (Pending p : batch) {
                boolean written = fresh.contains(p);
                if (written && p.deliveryId != null) {
                    recentDeliveries.add(p.deliveryId);
                }
                p.done.complete(written);
            }
            record("ok", start);
            state.up();
        } catch (SQLException | RuntimeException e) {
            PersistenceUnavailableException failure = e instanceof PersistenceUnavailableException pue ? pue
                    : new PersistenceUnavailableException("ClickHouse write failed: " + firstLine(e.getMessage()), e);
            disconnect();
            state.down(failure.getMessage());
            LOG.debug("ClickHouse write of {} request(s) failed: {}", batch.size(), failure.getMessage());
            batch.forEach(p -> p.done.completeExceptionally(failure));
            record("failed", start);
        }
    }

    /**
     * Incident memory after the state rows it is read joined with (a reader between the two would remember a page
     * without its incident's link), and the webhook deliveries last: a delivery row marks its webhook as written.
     */
    static List<String> insertOrder(Collection<String> tables) {
        List<String> order = new ArrayList<>(tables);
        order.sort(Comparator.comparingInt(t -> t.equals(StateRows.DELIVERIES) ? 2 : t.equals(StateRows.MEMORY) ? 1 : 0));
        return order;
    }

    /**
     * The requests of a batch whose delivery was not persisted before: checked against the recent-delivery cache, then
     * with one query on webhook_deliveries for the rest, and within the batch itself.
     */
    private List<Pending> withoutRepeats(List<Pending> batch) throws SQLException {
        Set<String> unknown = new HashSet<>();
        for (Pending p : batch) {
            if (p.deliveryId != null && !recentDeliveries.contains(p.deliveryId)) {
                unknown.add(p.deliveryId);
            }
        }
        Set<String> persisted = unknown.isEmpty() ? Set.of() : persistedDeliveries(unknown);
        Set<String> seen = new HashSet<>();
        List<Pending> fresh = new ArrayList<>();
        for (Pending p : batch) {
            if (p.deliveryId == null) {
                fresh.add(p);
            } else if (!recentDeliveries.contains(p.deliveryId) && !persisted.contains(p.deliveryId) && seen.add(p.deliveryId)) {
                fresh.add(p);
            }
        }
        return fresh;
    }

    private Set<String> persistedDeliveries(Set<String> ids) throws SQLException {
        Set<String> found = new HashSet<>();
        String sql = persistedDeliveriesSql(clickHouse.table(StateRows.DELIVERIES), ids);
        com.clickhouse.jdbc.ClickHouseStatement legacy = legacyStatement();
        if (legacy != null) {
            try (ClickHouseResponse r = legacy.getRequest().query(sql).executeAndWait()) {
                for (ClickHouseRecord row : r.records()) {
                    found.add(row.getValue(0).asString());
                }
            } catch (ClickHouseException e) {
                throw new SQLException(e.getMessage(), e);
            }
            return found;
        }
        try (Statement st = connection().createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                found.add(rs.getString(1));
            }
        }
        return found;
    }

    /** The query for which of these delivery ids webhook_deliveries already holds, the ids as string literals. */
    static String persistedDeliveriesSql(String qualifiedTable, Collection<String> ids) {
        StringBuilder sql = new StringBuilder("SELECT event_id FROM ").append(qualifiedTable).append(" WHERE event_id IN (");
        String sep = "";
        for (String id : ids) {
            sql.append(sep).append('\'').append(id.replace("\\", "\\\\").replace("'", "\\'")).append('\'');
            sep = ", ";
        }
        return sql.append(')').toString();
    }

    private void insert(String table, List<Row> rows) throws SQLException {
        Map<String, String> types = columnTypes(connection(), table);
        List<String> columns = new ArrayList<>(types.keySet());
        com.clickhouse.jdbc.ClickHouseStatement legacy = legacyStatement();
        if (legacy != null) {
            insertAsJson(legacy, table, columns, types, rows);
            return;
        }
        PreparedStatement ps = inserts.get(table);
        if (ps == null) {
            ps = connection().prepareStatement(insertSql(clickHouse.table(table), columns, types));
            inserts.put(table, ps);
        }
        ps.clearBatch();
        for (Row row : rows) {
            List<Object> values = insertValues(columns, types, row);
            for (int i = 0; i < values.size(); i++) {
                ps.setObject(i + 1, values.get(i));
            }
            ps.addBatch();
        }
        ps.executeBatch();
    }

    /**
     * The legacy driver's own client sends the rows as the body of one INSERT ... FORMAT JSONEachRow. Its prepared
     * INSERT costs more than the rows: the driver renders every row into SQL text, and ClickHouse 18.16 runs its SQL
     * parser on each row's DateTime expression (see placeholders), where JSONEachRow takes the time as epoch seconds.
     */
    private void insertAsJson(com.clickhouse.jdbc.ClickHouseStatement st, String table, List<String> columns,
                              Map<String, String> types, List<Row> rows) throws SQLException {
        byte[] body = jsonEachRow(columns, types, rows);
        try (ClickHouseResponse ignored = st.write().query(jsonInsertSql(clickHouse.table(table), columns))
                .data(new ByteArrayInputStream(body)).executeAndWait()) {
            // nothing to read: ClickHouse answers an INSERT once the rows are in a part
        } catch (ClickHouseException e) {
            throw new SQLException(e.getMessage(), e);
        }
    }

    /** The INSERT whose body is jsonEachRow(columns, ...). */
    static String jsonInsertSql(String qualifiedTable, List<String> columns) {
        return "INSERT INTO " + qualifiedTable + " (" + String.join(", ", columns) + ") FORMAT JSONEachRow";
    }

    /** The rows as JSONEachRow, every column given (as insertValues does), DateTime as epoch seconds (always UTC). */
    static byte[] jsonEachRow(List<String> columns, Map<String, String> types, List<Row> rows) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 * rows.size());
        try (JsonGenerator json = JSON.createGenerator(out)) {
            for (Row row : rows) {
                requireColumns(types, row);
                json.writeStartObject();
                for (String column : columns) {
                    json.writeFieldName(column);
                    String type = types.get(column);
                    Object value = row.values().get(column);
                    if (type.equals("DateTime")) {
                        json.writeNumber(epochSeconds(value));
                    } else {
                        // the same empty values and booleans as the prepared INSERT's parameters
                        Object v = jdbcValue(type, value);
                        if (type.equals("String")) {
                            json.writeString(v.toString());
                        } else {
                            json.writeNumber(v.toString());
                        }
                    }
                }
                json.writeEndObject();
                json.writeRaw('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static long epochSeconds(Object value) {
        return value == null ? 0 : value instanceof Instant i ? i.getEpochSecond() : Instant.parse(value.toString()).getEpochSecond();
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            connection = clickHouse.connection();
        }
        return connection;
    }

    /**
     * On the legacy driver (ClickHouse 18.16), a statement whose own client requests the writer uses: they skip the
     * driver's SQL parser and row rendering. Null on the modern driver, which gets plain JDBC.
     */
    private com.clickhouse.jdbc.ClickHouseStatement legacyStatement() throws SQLException {
        if (legacy == null && !modernDriver) {
            Statement st = connection().createStatement();
            if (st.isWrapperFor(com.clickhouse.jdbc.ClickHouseStatement.class)) {
                legacy = st.unwrap(com.clickhouse.jdbc.ClickHouseStatement.class);
            } else {
                st.close();
                modernDriver = true;
            }
        }
        return legacy;
    }

    private void disconnect() {
        inserts.clear();
        legacy = null;
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException | RuntimeException ignored) {
                // it failed already; a new one is made for the next batch
            }
            connection = null;
        }
    }

    /** The INSERT of one row into the columns, in order, each value a cast expression around its '?' (see castFor). */
    static String insertSql(String qualifiedTable, List<String> columns, Map<String, String> types) {
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(qualifiedTable).append(" (")
                .append(String.join(", ", columns)).append(") VALUES (");
        List<String> values = placeholders(columns.stream().map(types::get).toList());
        return sql.append(String.join(", ", values)).append(')').toString();
    }

    /** The parameters of insertSql for one row, in column order; a value for a column the table lacks is refused. */
    static List<Object> insertValues(List<String> columns, Map<String, String> types, Row row) {
        requireColumns(types, row);
        List<Object> values = new ArrayList<>(columns.size());
        for (String col : columns) {
            values.add(jdbcValue(types.get(col), row.values().get(col)));
        }
        return values;
    }

    /** Refuses a row with a value for a column the table lacks (it would be lost without a word). */
    private static void requireColumns(Map<String, String> types, Row row) {
        for (String key : row.values().keySet()) {
            if (!types.containsKey(key)) {
                throw new IllegalArgumentException("table " + row.table() + " has no column " + key);
            }
        }
    }

    private Map<String, String> columnTypes(Connection c, String table) throws SQLException {
        Map<String, String> known = columnTypes.get(table);
        if (known != null) {
            return known;
        }
        Map<String, String> types = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(COLUMN_TYPES_SQL)) {
            ps.setString(1, clickHouse.database());
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    types.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        if (types.isEmpty()) {
            throw new IllegalStateException("table " + clickHouse.table(table) + " does not exist");
        }
        columnTypes.put(table, types);
        return types;
    }

    /**
     * The VALUES placeholder of each column, for the modern driver's prepared INSERT. Plain values go in as literals ('text', 42, 0.93), which ClickHouse reads
     * on its fast path; an expression such as toString(?) makes ClickHouse 18.16 run its SQL parser on that field of
     * every row, many times the CPU of the literal. DateTime keeps its cast so the text is read as UTC
     * whatever the server's time zone. At least one column stays an expression: with nothing but bare '?' the JDBC
     * driver's legacy mode switches to a streamed format that ClickHouse 18.16 cannot read.
     */
    static List<String> placeholders(List<String> types) {
        List<String> out = new ArrayList<>();
        for (String type : types) {
            out.add(castFor(type));
        }
        if (!out.isEmpty() && out.stream().allMatch("?"::equals)) {
            out.set(0, "to" + types.get(0) + "(?)");
        }
        return out;
    }

    static String castFor(String type) {
        if (type.equals("DateTime")) {
            return "toDateTime(toString(?), 'UTC')";
        }
        if (type.matches("(U?Int(8|16|32|64)|Float(32|64)|String)")) {
            return "?";
        }
        throw new IllegalStateException("column type " + type + " is not supported by the writer");
    }

    static Object jdbcValue(String type, Object value) {
        if (type.equals("DateTime")) {
            Instant at = value == null ? Instant.EPOCH : value instanceof Instant i ? i : Instant.parse(value.toString());
            return DATE_TIME.format(at);
        }
        if (type.equals("String")) {
            return value == null ? "" : value.toString();
        }
        if (value == null) {
            return 0;
        }
        if (value instanceof Boolean b) {
            return b ? 1 : 0;
        }
        return value;
    }

    private void record(String outcome, long startNanos) {
        MeterRegistry m = meters;
        if (m != null) {
            timer(m, outcome).record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        }
    }

    private static Timer timer(MeterRegistry m, String outcome) {
        return Timer.builder("infrasage_clickhouse_write").description("ClickHouse batch writes by outcome").tag("outcome", outcome)
                .register(m);
    }

    /** Refuses new requests and fails those still waiting: the route that writes them has stopped. */
    @Override
    public void close() {
        running = false;
        Pending p;
        while ((p = queue.poll()) != null) {
            p.done.completeExceptionally(new PersistenceUnavailableException("writer stopped", null));
        }
        disconnect();
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    private record Pending(String deliveryId, List<Row> rows, CompletableFuture<Boolean> done) {
    }

    /** Delivery ids this process persisted lately: most repeats are answered without a query. */
    private static final class RecentIds {
        private final Map<String, Boolean> ids = BoundedMaps.newest(RECENT_DELIVERIES, false);

        void add(String id) {
            ids.put(id, Boolean.TRUE);
        }

        boolean contains(String id) {
            return ids.containsKey(id);
        }
    }
}
