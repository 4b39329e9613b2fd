package io.infrasage.pagerduty.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class IncidentMemoryViewTest {

    private static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    private static PastResolution resolved(String anomalyId, String service, String rootCause, int day, long version) {
        return new PastResolution(anomalyId, "Q-" + anomalyId, service, rootCause, PastResolution.rootCauseKey(rootCause),
                "note of " + anomalyId, "Alice Example", T0.plusSeconds(day * 86_400L), null, version);
    }

    @Test
    void theSameRootCauseRanksFirstThenTheMostRecentlyResolved() {
        IncidentMemoryView view = new IncidentMemoryView();
        view.merge(List.of(resolved("old-pool", "payment-api", "DB pool exhausted", 1, 1),
                resolved("mid-gc", "payment-api", "GC pauses", 2, 2),
                resolved("new-disk", "payment-api", "disk full", 3, 3)));

        assertThat(view.recall("payment-api", "db  POOL exhausted", "a-new", 3)).extracting(PastResolution::anomalyId)
                .containsExactly("old-pool", "new-disk", "mid-gc");
        assertThat(view.recall("payment-api", "something new", "a-new", 3)).extracting(PastResolution::anomalyId)
                .containsExactly("new-disk", "mid-gc", "old-pool");
        assertThat(view.recall("payment-api", null, "a-new", 2)).extracting(PastResolution::anomalyId)
                .containsExactly("new-disk", "mid-gc");
    }

    @Test
    void anotherServiceAndTheAnomalyItselfAreNeverRecalled() {
        IncidentMemoryView view = new IncidentMemoryView();
        view.merge(List.of(resolved("a-1", "payment-api", "pool", 1, 1)));

        assertThat(view.recall("search-api", "pool", "a-2", 3)).isEmpty();
        assertThat(view.recall("payment-api", "pool", "a-1", 3)).isEmpty();
    }

    @Test
    void aNewerVersionOfAnEntryReplacesItAndAnOlderOneIsIgnored() {
        IncidentMemoryView view = new IncidentMemoryView();
        view.merge(List.of(resolved("a-1", "payment-api", "pool", 1, 5)));
        PastResolution newer = new PastResolution("a-1", "Q-a-1", "payment-api", "pool", "pool", "two notes now", "Alice Example",
                T0.plusSeconds(86_400), null, 6);
        view.merge(List.of(newer));
        view.merge(List.of(resolved("a-1", "payment-api", "pool", 1, 4)));

        assertThat(view.recall("payment-api", "pool", "x", 3)).containsExactly(newer);
        assertThat(view.size()).isEqualTo(1);
    }

    @Test
    void itKeepsTheNewestResolutionsPerServiceAndOverallWithinItsBounds() {
        IncidentMemoryView view = new IncidentMemoryView();
        List<PastResolution> many = new ArrayList<>();
        for (int i = 0; i < IncidentMemoryView.PER_SERVICE + 5; i++) {
            many.add(resolved("p-" + i, "payment-api", "cause " + i, i, i));
        }
        for (int i = 0; i < IncidentMemoryView.MAX_ENTRIES; i++) {
            many.add(resolved("s-" + i, "svc-" + i, "cause", 100 + i, i));
        }
        view.merge(many);

        assertThat(view.size()).isEqualTo(IncidentMemoryView.MAX_ENTRIES);
        // the payment-api entries are the oldest of all: they went first
        assertThat(view.recall("payment-api", null, "x", 100)).isEmpty();
        assertThat(view.recall("svc-" + (IncidentMemoryView.MAX_ENTRIES - 1), null, "x", 3)).hasSize(1);
    }

    @Test
    void perServiceTheOldestFallOut() {
        IncidentMemoryView view = new IncidentMemoryView();
        List<PastResolution> many = new ArrayList<>();
        for (int i = 0; i < IncidentMemoryView.PER_SERVICE + 5; i++) {
            many.add(resolved("p-" + i, "payment-api", "cause " + i, i, i));
        }
        view.merge(many);

        List<PastResolution> kept = view.recall("payment-api", null, "x", 100);
        assertThat(kept).hasSize(IncidentMemoryView.PER_SERVICE);
        assertThat(kept.get(kept.size() - 1).anomalyId()).isEqualTo("p-5");
    }
}
