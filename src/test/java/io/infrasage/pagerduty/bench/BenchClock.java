package io.infrasage.pagerduty.bench;

import java.time.Instant;

/**
 * One time base for the whole driver JVM: monotonic nanos for durations, convertible to wall-clock instants so they
 * can be compared with the sandbox's receive times ({@code ReceivedEvent.at()}, taken from the system clock in this
 * same JVM).
 */
public final class BenchClock {

    private static final long NANO_BASE = System.nanoTime();
    private static final Instant WALL_BASE = Instant.now();

    private BenchClock() {
    }

    public static long nanos() {
        return System.nanoTime() - NANO_BASE;
    }

    public static Instant wall(long nanos) {
        return WALL_BASE.plusNanos(nanos);
    }

    /** Nanos on this clock for a wall-clock instant (e.g. when the sandbox received an event). */
    public static long fromWall(Instant at) {
        return java.time.Duration.between(WALL_BASE, at).toNanos();
    }
}
