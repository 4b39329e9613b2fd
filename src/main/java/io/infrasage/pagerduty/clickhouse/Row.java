package io.infrasage.pagerduty.clickhouse;

import java.util.LinkedHashMap;
import java.util.Map;

/** One row for one table; columns not set take ClickHouse's empty value ('' or 0). */
public record Row(String table, Map<String, Object> values) {

    public static Builder into(String table) {
        return new Builder(table);
    }

    public static final class Builder {
        private final String table;
        private final Map<String, Object> values = new LinkedHashMap<>();

        private Builder(String table) {
            this.table = table;
        }

        /** Instants are kept as ISO-8601 text, so a row survives the JSON spool unchanged. */
        public Builder set(String column, Object value) {
            if (value != null) {
                values.put(column, value instanceof java.time.Instant at ? at.toString() : value);
            }
            return this;
        }

        public Row build() {
            return new Row(table, Map.copyOf(values));
        }
    }
}
