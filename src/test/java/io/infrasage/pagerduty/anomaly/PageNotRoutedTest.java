package io.infrasage.pagerduty.anomaly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.http.InvalidRequestException;
import io.infrasage.pagerduty.testing.CapturedLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class PageNotRoutedTest {

    @Test
    void anAnomalyNoRulePlacesIsAnErrorLoggedAsPageNotRoutedAndCounted() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        BundleMetrics metrics = new BundleMetrics();
        metrics.bind(meters);
        Anomaly anomaly = new AnomalyParser().parse("{\"anomaly_id\":\"anom-1\",\"service\":\"café-api\",\"score\":0.9}");

        try (CapturedLog log = new CapturedLog()) {
            assertThatThrownBy(() -> new PageNotRouted(metrics).refuse(anomaly))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                        assertThat(e.status()).isEqualTo(500);
                        assertThat(e.error()).isEqualTo("page not routed");
                        assertThat(e.problems()).singleElement().asString().contains("café-api").contains("nobody was paged");
                    });
            assertThat(log.text()).contains("ERROR PageNotRouted - PAGE NOT ROUTED: anomaly anom-1 of service 'café-api'");
        }
        assertThat(meters.counter("infrasage_anomalies", "outcome", "not_routed").count()).isEqualTo(1.0);
    }
}
