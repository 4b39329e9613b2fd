package io.infrasage.pagerduty.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.infrasage.pagerduty.BundleMetrics;
import org.junit.jupiter.api.Test;

class PageMemoryTest {

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final IncidentMemoryView view = new IncidentMemoryView();

    {
        view.merge(List.of(new PastResolution("a-1", "Q1", "payment-api", "pool", "pool", "raised the DB pool to 50", "Alice Example",
                Instant.parse("2026-11-26T03:12:09Z"), null, 1)));
    }

    private PageMemory memory(boolean enabled) {
        return new PageMemory(enabled, 3, Duration.ofSeconds(2), view, new BundleMetrics(), now::get);
    }

    @Test
    void beforeTheFirstRefreshPagesGoOutWithoutMemory() {
        PageMemory memory = memory(true);

        assertThat(memory.recall("a-2", "payment-api", "pool")).isEmpty();
        assertThat(memory.ageSeconds()).isEqualTo(-1);
    }

    @Test
    void aFreshViewIsRecalledAndAStaleOneIsNot() {
        PageMemory memory = memory(true);
        memory.refreshed();

        assertThat(memory.recall("a-2", "payment-api", "pool")).extracting(PastResolution::anomalyId).containsExactly("a-1");
        now.addAndGet(Duration.ofSeconds(2).toMillis() * PageMemory.STALE_AFTER_REFRESHES);
        assertThat(memory.recall("a-2", "payment-api", "pool")).hasSize(1);
        now.incrementAndGet();
        assertThat(memory.fresh()).isFalse();
        assertThat(memory.recall("a-2", "payment-api", "pool")).isEmpty();
        assertThat(memory.ageSeconds()).isEqualTo(10.001);
    }

    @Test
    void switchedOffItRecallsNothing() {
        PageMemory memory = memory(false);
        memory.refreshed();

        assertThat(memory.recall("a-2", "payment-api", "pool")).isEmpty();
    }
}
