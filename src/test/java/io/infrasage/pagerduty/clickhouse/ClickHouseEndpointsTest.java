package io.infrasage.pagerduty.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ClickHouseEndpointsTest {

    @Test
    void aPlainUrlTakesTheV2PathConnectedWithoutTheDatabaseItHasToCreateAndInsertsSynchronously() {
        ClickHouseEndpoints e = ClickHouseEndpoints.of("jdbc:clickhouse://ch.internal:8123/infrasage?ssl=true");

        assertThat(e.legacy()).isFalse();
        assertThat(e.nodeUrls()).containsExactly("jdbc:clickhouse://ch.internal:8123/?ssl=true");
        assertThat(e.driverProperties()).containsEntry("clickhouse_setting_async_insert", "0");
        assertThat(ClickHouseEndpoints.of("jdbc:clickhouse://ch:8123/infrasage").nodeUrls()).containsExactly("jdbc:clickhouse://ch:8123/");
    }

    @Test
    void theLegacyUrlOfClickHouse1816IsKeptAsItIs() {
        String url = "jdbc:clickhouse://127.0.0.1:18123/infrasage?clickhouse.jdbc.v1=true&server_version=18.16.1&compress=false";
        ClickHouseEndpoints e = ClickHouseEndpoints.of(url);

        assertThat(e.legacy()).isTrue();
        assertThat(e.nodeUrls()).containsExactly(url);
        assertThat(e.driverProperties()).isEmpty();
    }

    @Test
    void severalNodesAreOneUrlEach() {
        ClickHouseEndpoints e = ClickHouseEndpoints.of("jdbc:clickhouse://ch1:8123, ch2:8123,ch3:8443/infrasage?ssl=true");

        assertThat(e.nodeUrls()).containsExactly("jdbc:clickhouse://ch1:8123/?ssl=true", "jdbc:clickhouse://ch2:8123/?ssl=true",
                "jdbc:clickhouse://ch3:8443/?ssl=true");
        assertThat(ClickHouseEndpoints.of("jdbc:clickhouse://a:1,b:2/db?clickhouse.jdbc.v1=true").nodeUrls())
                .containsExactly("jdbc:clickhouse://a:1/db?clickhouse.jdbc.v1=true", "jdbc:clickhouse://b:2/db?clickhouse.jdbc.v1=true");
    }

    @Test
    void aUrlWithoutHostIsRefused() {
        assertThatThrownBy(() -> ClickHouseEndpoints.of("jdbc:clickhouse:infrasage")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ClickHouseEndpoints.of("jdbc:clickhouse://,/db")).isInstanceOf(IllegalArgumentException.class);
    }
}
