package io.infrasage.pagerduty.outbox.local;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one SQLite file (data/bundle.db) of the embedded adapter, and its group commit. WAL with synchronous=FULL: a commit
 * is on disk, and no write returns before its commit is. Writes that arrive while a commit is being synced to disk go
 * to disk together in the next one: one fsync for many accepts and deliveries, instead of one each, which is what
 * bounded throughput (an fsync takes milliseconds). Each write is a savepoint in the shared transaction, so a failing
 * one is undone alone; what a write registers with {@link #afterCommit} runs once its commit is on disk.
 */
public final class SqliteFile implements AutoCloseable {

    /** One step of work on the connection, run inside the file's monitor. */
    public interface Work<T> {
        T run(Connection db) throws Exception;
    }

    private final Connection db;
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
            db = DriverManager.getConnection("jdbc:sqlite:" + PrivateDataFolder.prepare(dataDir, "bundle.db").toAbsolutePath());
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA busy_timeout=5000");
            }
            db.setAutoCommit(false);
        } catch (Exception e) {
            throw new IllegalStateException("cannot open the local outbox in " + dataDir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /** Schema statements, committed at once (at open, before any other write). */
    public synchronized void define(Work<Void> ddl) {
        try {
            ddl.run(db);
            db.commit();
        } catch (Exception e) {
            throw new IllegalStateException("cannot prepare the local outbox: " + e.getMessage(), e);
        }
    }

    /** Reads; with writes waiting for their commit, that commit ends the read transaction. */
    public synchronized <T> T read(Work<T> work) {
        try {
            T result = work.run(db);
            if (!open.writes) {
                db.commit();
            }
            return result;
        } catch (Exception e) {
            throw new IllegalStateException("local store read failed: " + e.getMessage(), e);
        }
    }

    /** Runs once the commit of the write calling it is on disk; only from inside {@link #write}. */
    public void afterCommit(Runnable action) {
        open.onDurable.add(action);
    }

    /**
     * Runs the work as a savepoint of the open transaction, then returns once that transaction is on disk: committed
     * by this caller, or by another one that took this work along in the same fsync.
     */
    public <T> T write(Work<T> work) {
        Batch batch;
        T result;
        entering.incrementAndGet();
        synchronized (this) {
            entering.decrementAndGet();
            Savepoint savepoint = null;
            int registered = open.onDurable.size();
            try {
                savepoint = db.setSavepoint();
                result = work.run(db);
                db.releaseSavepoint(savepoint);
            } catch (Exception e) {
                open.onDurable.subList(registered, open.onDurable.size()).clear();
                if (savepoint != null) {
                    try {
                        db.rollback(savepoint);
                        db.releaseSavepoint(savepoint);
                    } catch (SQLException ignored) {
                        // the original failure is what matters
                    }
                }
                throw new IllegalStateException("local store write failed: " + e.getMessage(), e);
            }
            batch = open;
            batch.writes = true;
        }
        awaitDurable(batch);
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
                    // still the open batch: only a commit closes a batch, and it completes it before letting go
                    open = new Batch();
                    try {
                        db.commit();
                        commits.incrementAndGet();
                        batch.onDurable.forEach(Runnable::run);
                        batch.durable.complete(null);
                    } catch (SQLException e) {
                        try {
                            db.rollback();
                        } catch (SQLException ignored) {
                            // the commit failure is what matters
                        }
                        batch.durable.completeExceptionally(e);
                    }
                }
            }
        }
        try {
            batch.durable.join();
        } catch (CompletionException e) {
            throw new IllegalStateException("local store write failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Commits of writes since the file was opened: each is one fsync of the WAL (checkpoints add theirs). */
    public long commits() {
        return commits.get();
    }

    /** Rows inserted, updated or deleted since the file was opened (SQLite's total_changes()). */
    public long rowsChanged() {
        return read(db -> {
            try (Statement s = db.createStatement(); var rs = s.executeQuery("SELECT total_changes()")) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException ignored) {
            // closing at shutdown
        }
    }
}
