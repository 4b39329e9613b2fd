package io.infrasage.pagerduty.outbox.local;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.infrasage.pagerduty.DependencyState;

/**
 * The one SQLite file (data/bundle.db) of the embedded adapter, and its group commit. WAL with synchronous=FULL: a commit
 * is on disk, and no write returns before its commit is. Writes that arrive while a commit is being synced to disk go
 * to disk together in the next one: one fsync for many accepts and deliveries, instead of one each (an fsync takes
 * milliseconds). Each write is a savepoint in the shared transaction, so a failing
 * one is undone alone; what a write registers with {@link #afterCommit} runs once its commit is on disk.
 *
 * <p>A full disk or an I/O error is different: SQLite may roll the whole transaction back by itself, and the driver
 * still believes it open. Then every write of that transaction fails (an {@link OutboxDiskException}) and the
 * connection is replaced by a fresh one, so the file is never left wedged, and the disk is in trouble until a probe
 * write commits ({@link #unwritable}).
 */
public final class SqliteFile implements AutoCloseable {

    /** One step of work on the connection, run inside the file's monitor. */
    public interface Work<T> {
        T run(Connection db) throws Exception;
    }

    /**
     * The probe's payload, about a few accepts (each commit writes 5 to 8 pages to the WAL): a one-page probe would fit
     * in the room a failed commit leaves behind in the WAL file, and call the disk writable while accepts still fail.
     */
    static final int PROBE_BYTES = 64 * 1024;

    private final String url;
    private final OutboxDisk disk = new OutboxDisk();
    /** Null once a connection was dropped and a new one could not be opened yet: the next use tries (guarded by this). */
    private Connection db;
    /** total_changes() of the connections replaced since the file was opened (guarded by this). */
    private long earlierChanges;
    /** Serialises commits; taken before the file's monitor, never inside it. */
    private final Object commitLock = new Object();
    /** Writers waiting to enter the monitor: a commit waits (briefly) for them to join it. */
    private final AtomicInteger entering = new AtomicInteger();
    /** Commits of writes that reached the disk: each is one fsync (WAL, synchronous=FULL). */
    private final AtomicLong commits = new AtomicLong();
    /** Writes made since the last commit (guarded by this). */
    private Batch open = new Batch();

    /** The writes of one transaction: their callers learn together whether it reached the disk. */
    private static final class Batch {
        final CompletableFuture<Void> durable = new CompletableFuture<>();
        boolean writes;
        final List<Runnable> onDurable = new ArrayList<>();
    }

    public SqliteFile(Path dataDir) {
        try {
            url = "jdbc:sqlite:" + PrivateDataFolder.prepare(dataDir, "bundle.db").toAbsolutePath();
            db = connect(url);
        } catch (Exception e) {
            throw new IllegalStateException("cannot open the local outbox in " + dataDir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        define(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, pad BLOB NOT NULL)");
            }
            return null;
        });
    }

    private static Connection connect(String url) throws SQLException {
        Connection c = DriverManager.getConnection(url);
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout=5000");
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA synchronous=FULL");
            c.setAutoCommit(false);
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** The connection, opened again if it was dropped; inside the monitor. */
    private Connection connection() {
        if (db == null) {
            try {
                db = connect(url);
            } catch (SQLException e) {
                throw diskFailure(OutboxDisk.problemOf(e).orElse("the outbox file cannot be opened"), e);
            }
        }
        return db;
    }

    /** Schema statements, committed at once (at open, before any other write). */
    public synchronized void define(Work<Void> ddl) {
        try {
            Connection c = connection();
            ddl.run(c);
            c.commit();
        } catch (Exception e) {
            throw new IllegalStateException("cannot prepare the local outbox: " + e.getMessage(), e);
        }
    }

    /** Reads; with writes waiting for their commit, that commit ends the read transaction. */
    public synchronized <T> T read(Work<T> work) {
        Connection c = connection();
        T result;
        try {
            result = work.run(c);
        } catch (Exception e) {
            Optional<String> problem = OutboxDisk.problemOf(e);
            if (problem.isPresent()) {
                throw restart(diskFailure(problem.get(), e));
            }
            throw new IllegalStateException("local store read failed: " + e.getMessage(), e);
        }
        if (!open.writes) {
            try {
                c.commit();
            } catch (SQLException e) {
                throw restart(diskFailure(OutboxDisk.problemOf(e).orElse("the outbox file did not end a read"), e));
            }
        }
        return result;
    }

    /** Runs once the commit of the write calling it is on disk; only from inside {@link #write}. */
    public void afterCommit(Runnable action) {
        open.onDurable.add(action);
    }

    /**
     * Runs the work as a savepoint of the open transaction, then returns once that transaction is on disk: committed
     * by this caller, or by another one that took this work along in the same fsync.
     *
     * @throws OutboxDiskException when the disk did not take it: nothing of it was kept
     */
    public <T> T write(Work<T> work) {
        Batch batch;
        T result;
        entering.incrementAndGet();
        synchronized (this) {
            entering.decrementAndGet();
            Connection c = connection();
            Savepoint savepoint = null;
            int registered = open.onDurable.size();
            try {
                savepoint = c.setSavepoint();
                result = work.run(c);
                c.releaseSavepoint(savepoint);
            } catch (Exception e) {
                open.onDurable.subList(registered, open.onDurable.size()).clear();
                Optional<String> problem = OutboxDisk.problemOf(e);
                if (problem.isPresent()) {
                    throw restart(diskFailure(problem.get(), e));
                }
                if (savepoint != null) {
                    try {
                        c.rollback(savepoint);
                        c.releaseSavepoint(savepoint);
                    } catch (SQLException rollbackFailed) {
                        // the transaction is not the one the driver believes in: the writes in it cannot be trusted
                        restart(new OutboxDiskException("the outbox file lost its transaction", rollbackFailed));
                    }
                }
                throw new IllegalStateException("local store write failed: " + e.getMessage(), e);
            }
            batch = open;
            batch.writes = true;
        }
        awaitDurable(batch);
        if (disk.inTrouble()) {
            unwritable(); // this write reached the disk: a probe may end the trouble, even with nobody asking for readiness
        }
        return result;
    }

    private void awaitDurable(Batch batch) {
        synchronized (commitLock) {
            if (!batch.durable.isDone()) {
                // writers already queued for the monitor join this commit (waiting at most a millisecond for them)
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
                while (entering.get() > 0 && System.nanoTime() < until) {
                    Thread.yield();
                }
                synchronized (this) {
                    // still the open batch unless a failure abandoned it meanwhile: only a commit or a restart closes one
                    if (!batch.durable.isDone()) {
                        commit(batch);
                    }
                }
            }
        }
        try {
            batch.durable.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof OutboxDiskException d) {
                throw new OutboxDiskException(d.problem(), d.getCause());
            }
            throw new IllegalStateException("local store write failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Inside the monitor. */
    private void commit(Batch batch) {
        open = new Batch();
        try {
            db.commit();
        } catch (SQLException e) {
            OutboxDiskException failure = diskFailure(OutboxDisk.problemOf(e).orElse("the outbox file did not take the write"), e);
            batch.durable.completeExceptionally(failure);
            restart(failure);
            return;
        }
        commits.incrementAndGet();
        batch.onDurable.forEach(Runnable::run);
        batch.durable.complete(null);
    }

    /** The disk failed a write: it is in trouble until a probe commits. */
    private OutboxDiskException diskFailure(String problem, Exception cause) {
        disk.failed(problem, cause);
        return new OutboxDiskException(problem, cause);
    }

    /**
     * Inside the monitor: fails every write of the open transaction and replaces the connection. After a failed commit
     * or a disk error neither SQLite's transaction nor the driver's idea of it can be trusted. Returns the failure.
     */
    private OutboxDiskException restart(OutboxDiskException failure) {
        Batch abandoned = open;
        open = new Batch();
        abandoned.durable.completeExceptionally(failure);
        Connection old = db;
        db = null;
        if (old != null) {
            earlierChanges += totalChanges(old);
            try {
                old.rollback();
            } catch (SQLException alreadyRolledBack) {
                // SQLite ended it itself
            }
        }
        try {
            // opened before the old one closes: closing the last connection checkpoints and deletes the WAL and shm
            // files, which a full disk may not let the next one create again
            db = connect(url);
        } catch (SQLException e) {
            // connection() tries again at the next use
        }
        if (old != null) {
            try {
                old.close();
            } catch (SQLException ignored) {
                // it is replaced either way
            }
        }
        return failure;
    }

    private static long totalChanges(Connection c) {
        try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT total_changes()")) {
            return rs.next() ? rs.getLong(1) : 0L;
        } catch (SQLException e) {
            return 0L;
        }
    }

    /**
     * Why a durable write cannot be made now ("the outbox disk is full"), or empty when it can. While the disk is in
     * trouble, a small write with its commit (at most once a second) finds out when it takes writes again.
     */
    public Optional<String> unwritable() {
        return disk.unwritable(() -> write(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO write_probe (id, at, pad) VALUES (1, ?, zeroblob(?))")) {
                ps.setLong(1, System.currentTimeMillis());
                ps.setInt(2, PROBE_BYTES);
                ps.executeUpdate();
            }
            return null;
        }));
    }

    /** Whether the disk takes writes, for infrasage_dependency_up{dependency="outbox disk"} and the log. */
    public DependencyState diskState() {
        return disk.state();
    }

    /** Commits of writes since the file was opened: each is one fsync of the WAL (checkpoints add theirs). */
    public long commits() {
        return commits.get();
    }

    /** Rows inserted, updated or deleted since the file was opened (SQLite's total_changes(), over every connection). */
    public long rowsChanged() {
        return read(c -> earlierChanges + totalChanges(c));
    }

    @Override
    public synchronized void close() {
        if (db != null) {
            try {
                db.close();
            } catch (SQLException ignored) {
                // closing at shutdown
            }
        }
    }
}
