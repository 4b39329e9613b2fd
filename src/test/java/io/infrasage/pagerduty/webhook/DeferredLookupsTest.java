package io.infrasage.pagerduty.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.BundleMetrics;
import org.junit.jupiter.api.Test;

class DeferredLookupsTest {

    final DeferredLookups deferred = new DeferredLookups(new BundleMetrics());

    static WebhookEvent event(String id) {
        return new WebhookEvent(id, "incident.triggered", "incident", Instant.parse("2026-12-07T10:00:00Z"), null,
                new ObjectMapper().createObjectNode().put("type", "incident").put("id", "Q" + id), "delivery-" + id);
    }

    @Test
    void lookupsComeInTurnOldestFirstAndOneThatMustWaitComesAgainAfterTheOthers() {
        deferred.add(event("1"), List.of(), true, false);
        deferred.add(event("2"), List.of("anom-2"), true, true);
        DeferredLookups.Item first = deferred.next();
        assertThat(first.event().id()).isEqualTo("1");
        deferred.again(first);
        DeferredLookups.Item second = deferred.next();
        assertThat(second.event().id()).isEqualTo("2");
        assertThat(second.written()).containsExactly("anom-2");
        assertThat(second.links()).isTrue();
        assertThat(second.notes()).isTrue();
        assertThat(deferred.next().event().id()).isEqualTo("1");
        assertThat(deferred.next()).isNull();
    }

    @Test
    void aWebhookCompletedLaterAndDeferredAgainKeepsItsOwnId() {
        WebhookEvent later = event("7").withId(DeferredLookups.EVENT_ID_PREFIX + "7");
        assertThat(DeferredLookups.isLater(later)).isTrue();
        deferred.add(later, List.of(), false, true);
        assertThat(deferred.next().event().id()).isEqualTo("7");
    }

    @Test
    void pastTheBoundTheOldestIsDropped() {
        for (int i = 0; i <= DeferredLookups.MAX_WAITING; i++) {
            deferred.add(event(Integer.toString(i)), List.of(), true, false);
        }
        assertThat(deferred.size()).isEqualTo(DeferredLookups.MAX_WAITING);
        assertThat(deferred.next().event().id()).isEqualTo("1");
    }
}
