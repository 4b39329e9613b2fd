package io.infrasage.pagerduty.memory;

import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

import io.infrasage.pagerduty.BundleMetrics;

/**
 * What a new page remembers of its service (INFRASAGE_PAGE_MEMORY): at most INFRASAGE_PAGE_MEMORY_MAX past resolutions
 * from the local {@link IncidentMemoryView}, read in memory on the accept path, never from ClickHouse. A view that has
 * not been refreshed for {@link #STALE_AFTER_REFRESHES} refresh intervals (ClickHouse down or slow) is not used: the
 * page goes out at once without memory, counted as infrasage_page_memory_lookups_total{outcome="unavailable"}.
 */
public final class PageMemory {

    /** Missed refreshes after which the view no longer counts as incident memory (10 s at the default 2 s). */
    static final int STALE_AFTER_REFRESHES = 5;

    private final boolean enabled;
    private final int max;
    private final Duration refreshInterval;
    private final IncidentMemoryView view;
    private final BundleMetrics metrics;
    private final LongSupplier clock;
    /** When the view last took a refresh from ClickHouse (epoch millis), 0 before the first. */
    private volatile long refreshedAt;

    public PageMemory(boolean enabled, int max, Duration refreshInterval, IncidentMemoryView view, BundleMetrics metrics) {
        this(enabled, max, refreshInterval, view, metrics, System::currentTimeMillis);
    }

    PageMemory(boolean enabled, int max, Duration refreshInterval, IncidentMemoryView view, BundleMetrics metrics, LongSupplier clock) {
        this.enabled = enabled;
        this.max = max;
        this.refreshInterval = refreshInterval;
        this.view = view;
        this.metrics = metrics;
        this.clock = clock;
    }

    public boolean enabled() {
        return enabled;
    }

    /** The past resolutions a new page of this service carries, most relevant first; none when off or unavailable. */
    public List<PastResolution> recall(String anomalyId, String service, String rootCause) {
        if (!enabled) {
            return List.of();
        }
        if (!fresh()) {
            metrics.pageMemoryLookup("unavailable");
            return List.of();
        }
        List<PastResolution> past = view.recall(service, rootCause, anomalyId, max);
        metrics.pageMemoryLookup(past.isEmpty() ? "none" : "attached");
        return past;
    }

    /** The loader took a refresh from ClickHouse into the view. */
    void refreshed() {
        refreshedAt = clock.getAsLong();
    }

    public boolean fresh() {
        long at = refreshedAt;
        return at > 0 && clock.getAsLong() - at <= refreshInterval.toMillis() * STALE_AFTER_REFRESHES;
    }

    /** Seconds since the view last took a refresh; -1 before the first (a gauge: it grows while ClickHouse is down). */
    public double ageSeconds() {
        long at = refreshedAt;
        return at == 0 ? -1 : (clock.getAsLong() - at) / 1000.0;
    }

    public int entries() {
        return view.size();
    }

    IncidentMemoryView view() {
        return view;
    }
}
