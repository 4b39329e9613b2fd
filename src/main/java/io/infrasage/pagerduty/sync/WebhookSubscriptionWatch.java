package io.infrasage.pagerduty.sync;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.infrasage.pagerduty.rest.PagerDutyApi;
import io.infrasage.pagerduty.rest.RestBudget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The 3-strike trap, seen from PagerDuty's side: reads GET /webhook_subscriptions and says, loudly and on every run
 * while it lasts, when PagerDuty lists a subscription as inactive (it disables one after three dropped deliveries in a
 * row, for 24 h, and sends nothing meanwhile). The count is exported as infrasage_webhook_subscriptions_disabled.
 */
public final class WebhookSubscriptionWatch {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookSubscriptionWatch.class);
    private static final int PAGE = 100;
    /** Accounts have a handful of subscriptions; a bound keeps a surprise from eating the REST budget. */
    private static final int MAX_PAGES = 5;

    private final PagerDutyApi api;
    private volatile int disabled = -1;
    private volatile boolean unreadableReported;

    public WebhookSubscriptionWatch(PagerDutyApi api) {
        this.api = api;
    }

    /** Disabled subscriptions PagerDuty listed at the last check; -1 before the first, or when the token may not read them. */
    public int disabled() {
        return disabled;
    }

    public void check() {
        if (!api.budget().allows(RestBudget.Share.SYNC)) {
            return; // the reconciler reports the spared budget; this check waits for the next run
        }
        List<String> inactive = new ArrayList<>();
        try {
            for (int page = 0; page < MAX_PAGES; page++) {
                JsonNode answer = api.webhookSubscriptions(PAGE, page * PAGE);
                answer.path("webhook_subscriptions").forEach(s -> {
                    if (!s.path("active").asBoolean(true)) {
                        inactive.add(s.path("id").asText() + " (" + s.path("delivery_method").path("url").asText("?") + ")");
                    }
                });
                if (!answer.path("more").asBoolean(false)) {
                    break;
                }
            }
        } catch (PagerDutyApi.OverBudget e) {
            return; // as above: the next run
        } catch (PagerDutyApi.PagerDutyApiException e) {
            if (!unreadableReported) {
                LOG.warn("cannot read PagerDuty's webhook subscriptions ({}); a subscription PagerDuty disabled will only "
                        + "show as refused webhooks (infrasage_webhooks_refused_in_a_row)", e.getMessage());
                unreadableReported = true;
            }
            return;
        }
        unreadableReported = false;
        disabled = inactive.size();
        if (!inactive.isEmpty()) {
            LOG.error("WEBHOOKS DISABLED: PagerDuty lists {} webhook subscription(s) as inactive: {}. PagerDuty disables a "
                    + "subscription after 3 refused deliveries in a row (often a wrong PAGERDUTY_WEBHOOK_SECRETS) and sends "
                    + "nothing to it for 24 h. Fix the secret, then re-enable the subscription in PagerDuty. Until then the "
                    + "self-healing sync writes acknowledgements and resolutions from the REST API, once per run.",
                    inactive.size(), String.join(", ", inactive));
        }
    }
}
