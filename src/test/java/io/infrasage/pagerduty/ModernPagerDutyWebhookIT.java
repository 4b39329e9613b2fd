package io.infrasage.pagerduty;

import java.util.Map;

import io.infrasage.pagerduty.testing.ChDbServer;
import io.infrasage.pagerduty.testing.ClickHouseServer;

/**
 * Every webhook test of PagerDutyWebhookIT again, on the path production takes: a plain URL (the JDBC v2 driver) and
 * ClickHouse 26.x's engine (ChDbServer), ClickHouse stopped and restarted under the bundle included.
 */
class ModernPagerDutyWebhookIT extends PagerDutyWebhookIT {

    @Override
    ClickHouseServer sharedClickHouse() {
        return ChDbServer.shared();
    }

    @Override
    ClickHouseServer privateClickHouse() {
        return ChDbServer.start(18165, Map.of());
    }
}
