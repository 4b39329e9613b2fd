package io.infrasage.pagerduty.memory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The local, bounded copy of incident memory that pages read: per service, its most recently resolved incidents.
 * Reads (one per page) take a lock held only for a map lookup and a sort of at most {@link #PER_SERVICE} entries; the
 * background refresh merges what ClickHouse returned. Nothing here ever waits on ClickHouse.
 */
public final class IncidentMemoryView {

    /**
     * Resolutions kept per service, newest first. More than a page shows, so that an older note with the same root
     * cause can still rank first; older ones fall out as new ones arrive.
     */
    public static final int PER_SERVICE = 10;
    /** Entries kept at most, over all services (about 1 KB each: notes and root causes are cut before they get here). */
    public static final int MAX_ENTRIES = 5_000;

    /** Most relevant first: the same root cause as the new anomaly, then the most recently resolved. */
    static final Comparator<PastResolution> NEWEST_FIRST = Comparator
            .comparing(PastResolution::resolvedAt, Comparator.nullsLast(Comparator.reverseOrder()))
            .thenComparing(PastResolution::version, Comparator.reverseOrder());

    private final Map<String, List<PastResolution>> byService = new HashMap<>();
    private int size;

    /** Adds new entries and newer versions of known ones; keeps each service's newest, and the newest overall. */
    public synchronized void merge(Collection<PastResolution> rows) {
        for (PastResolution r : rows) {
            List<PastResolution> entries = byService.computeIfAbsent(r.service(), s -> new ArrayList<>());
            PastResolution known = entries.stream().filter(r::sameEntryAs).findFirst().orElse(null);
            if (known != null) {
                if (known.version() >= r.version()) {
                    continue;
                }
                entries.remove(known);
                size--;
            }
            entries.add(r);
            size++;
            entries.sort(NEWEST_FIRST);
            while (entries.size() > PER_SERVICE) {
                entries.remove(entries.size() - 1);
                size--;
            }
        }
        while (size > MAX_ENTRIES) {
            evictOldest();
        }
    }

    /**
     * At most max past resolutions of the service, most relevant first: the same root cause first, then the most
     * recently resolved. The anomaly itself is never its own past.
     */
    public synchronized List<PastResolution> recall(String service, String rootCause, String excludeAnomalyId, int max) {
        List<PastResolution> entries = byService.get(service);
        if (entries == null || max <= 0) {
            return List.of();
        }
        String key = PastResolution.rootCauseKey(rootCause);
        Comparator<PastResolution> sameCauseFirst = Comparator.comparing(r -> key.isEmpty() || !key.equals(r.rootCauseKey()));
        return entries.stream().filter(r -> !r.anomalyId().equals(excludeAnomalyId))
                .sorted(sameCauseFirst.thenComparing(NEWEST_FIRST)).limit(max).toList();
    }

    public synchronized int size() {
        return size;
    }

    private void evictOldest() {
        String oldestService = null;
        Instant oldest = null;
        for (Map.Entry<String, List<PastResolution>> e : byService.entrySet()) {
            List<PastResolution> entries = e.getValue();
            Instant last = entries.isEmpty() ? Instant.MIN : entries.get(entries.size() - 1).resolvedAt();
            last = last == null ? Instant.MIN : last;
            if (oldest == null || last.isBefore(oldest)) {
                oldest = last;
                oldestService = e.getKey();
            }
        }
        List<PastResolution> entries = byService.get(oldestService);
        if (!entries.isEmpty()) {
            entries.remove(entries.size() - 1);
            size--;
        }
        if (entries.isEmpty()) {
            byService.remove(oldestService);
        }
    }
}
