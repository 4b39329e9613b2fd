package io.infrasage.pagerduty;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** In-memory caches that must not grow with the traffic: past their size, the eldest entry goes. */
public final class BoundedMaps {

    private BoundedMaps() {
    }

    /**
     * A thread-safe map of at most {@code max} entries. The entry dropped is the least recently used when
     * {@code byAccess}, else the first inserted.
     */
    public static <K, V> Map<K, V> newest(int max, boolean byAccess) {
        return Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, byAccess) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > max;
            }
        });
    }
}
