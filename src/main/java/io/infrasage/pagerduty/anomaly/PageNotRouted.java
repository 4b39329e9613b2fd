package io.infrasage.pagerduty.anomaly;

import java.util.List;

import io.infrasage.pagerduty.BundleMetrics;
import io.infrasage.pagerduty.http.InvalidRequestException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An anomaly whose service no routing rule places, with no PAGERDUTY_SERVICE_KEY to fall back on. Start-up refuses
 * rules that leave a service without a team, so this is the guard behind that check: the anomaly is never answered 2xx
 * with nobody paged. It is answered 500 (InfraSage retries it, and pages once the rules are fixed), logged as
 * PAGE NOT ROUTED and counted in infrasage_anomalies_total{outcome="not_routed"}.
 */
public final class PageNotRouted {

    private static final Logger LOG = LoggerFactory.getLogger(PageNotRouted.class);
    static final String OUTCOME = "not_routed";

    private final BundleMetrics metrics;

    public PageNotRouted(BundleMetrics metrics) {
        this.metrics = metrics;
    }

    public void refuse(Anomaly anomaly) {
        metrics.anomaly(OUTCOME);
        LOG.error("PAGE NOT ROUTED: anomaly {} of service '{}' matches no routing rule and PAGERDUTY_SERVICE_KEY is empty; "
                + "nothing was queued (add a \"*\" rule to PAGERDUTY_ROUTING_RULES or set PAGERDUTY_SERVICE_KEY)",
                anomaly.anomalyId(), anomaly.service());
        throw new InvalidRequestException(500, "page not routed", List.of("no routing rule matches service '" + anomaly.service()
                + "' and no fallback routing key is configured; nobody was paged. Retry once the routing rules are fixed."));
    }
}
