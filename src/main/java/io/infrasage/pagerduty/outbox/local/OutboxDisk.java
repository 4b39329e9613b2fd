package io.infrasage.pagerduty.outbox.local;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.infrasage.pagerduty.DependencyState;
import org.sqlite.SQLiteException;

/**
 * Whether the disk under the outbox file takes writes now. A write that fails for the disk's sake (full, I/O error,
 * read-only) puts it in trouble; only a probe write that commits takes it out. An instance in trouble is unready and
 * gets no traffic, so {@link #unwritable} probes by itself, at most once a second.
 */
final class OutboxDisk {

    private static final long PROBE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** A failure, one object per failed write: a probe only clears the failure it saw before it started. */
    private record Trouble(String problem) {
    }

    private final DependencyState state = new DependencyState("outbox disk",
            "posts are answered 503 and readiness is DOWN until it takes writes again; queued pages are still delivered",
            "cannot be written", "is writable again");
    private final AtomicReference<Trouble> trouble = new AtomicReference<>();
    private final AtomicLong nextProbe = new AtomicLong();

    /**
     * What a SQLite failure says about the disk, in words for a client ("the outbox disk is full"), or empty when it
     * is not the disk's doing (a constraint, a bug).
     */
    static Optional<String> problemOf(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLiteException e) {
                // extended codes (SQLITE_IOERR_FSYNC ...) keep their primary code in the low byte
                return switch (e.getResultCode().code & 0xff) {
                    case 13 -> Optional.of("the outbox disk is full");
                    case 10 -> Optional.of("the outbox disk failed to read or write (I/O error)");
                    case 8 -> Optional.of("the outbox disk is read-only");
                    case 14 -> Optional.of("the outbox file cannot be opened");
                    default -> Optional.empty();
                };
            }
        }
        return Optional.empty();
    }

    /** A write failed for the disk's sake: the first failure of a spell is logged, once. The next probe waits a second. */
    void failed(String problem, Throwable cause) {
        trouble.set(new Trouble(problem));
        nextProbe.set(System.nanoTime() + PROBE_EVERY_NANOS);
        state.down(problem + (cause == null ? "" : ": " + cause.getMessage()));
    }

    /**
     * Why the disk takes no writes now, or empty when it does. In trouble, runs the probe (a small durable write) when a
     * second has passed since the last one: its commit ends the trouble, its failure keeps it.
     */
    Optional<String> unwritable(Runnable probe) {
        Trouble seen = trouble.get();
        if (seen == null) {
            return Optional.empty();
        }
        long now = System.nanoTime();
        long due = nextProbe.get();
        if (now - due >= 0 && nextProbe.compareAndSet(due, now + PROBE_EVERY_NANOS)) {
            try {
                probe.run();
                if (trouble.compareAndSet(seen, null)) {
                    state.up();
                }
            } catch (RuntimeException stillFailing) {
                // the failed write reported itself
            }
        }
        return Optional.ofNullable(trouble.get()).map(Trouble::problem);
    }

    boolean inTrouble() {
        return trouble.get() != null;
    }

    DependencyState state() {
        return state;
    }
}
