package io.infrasage.pagerduty.outbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** What a SQLite failure says about the disk, and when the trouble ends (DiskFullIT does it on a real full disk). */
class OutboxDiskTest {

    @Test
    void aFullDiskAnIoErrorAndAReadOnlyFileAreTheDisksDoingAConstraintIsNot() {
        assertThat(OutboxDisk.problemOf(new IllegalStateException("wrapped", sqlite(SQLiteErrorCode.SQLITE_FULL))))
                .contains("the outbox disk is full");
        assertThat(OutboxDisk.problemOf(sqlite(SQLiteErrorCode.SQLITE_IOERR_FSYNC))).hasValueSatisfying(p -> assertThat(p).contains("I/O error"));
        assertThat(OutboxDisk.problemOf(sqlite(SQLiteErrorCode.SQLITE_READONLY_DBMOVED))).contains("the outbox disk is read-only");
        assertThat(OutboxDisk.problemOf(sqlite(SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE))).isEmpty();
        assertThat(OutboxDisk.problemOf(new IllegalArgumentException("a bug"))).isEmpty();
    }

    @Test
    void theTroubleEndsOnlyWhenAProbeWriteCommitsAndProbesComeAtMostOnceASecond() {
        OutboxDisk disk = new OutboxDisk();
        AtomicInteger probes = new AtomicInteger();
        assertThat(disk.unwritable(probes::incrementAndGet)).as("no probe while writes work").isEmpty();
        assertThat(probes).hasValue(0);

        disk.failed("the outbox disk is full", sqlite(SQLiteErrorCode.SQLITE_FULL));
        Runnable stillFull = () -> {
            probes.incrementAndGet();
            disk.failed("the outbox disk is full", sqlite(SQLiteErrorCode.SQLITE_FULL)); // as the failing write does
            throw new OutboxDiskException("the outbox disk is full", null);
        };
        assertThat(disk.unwritable(stillFull)).as("within a second of the failure").contains("the outbox disk is full");
        assertThat(probes).hasValue(0);
        assertThat(disk.state().isUp()).isFalse();

        await().atMost(Duration.ofSeconds(3)).until(() -> disk.unwritable(stillFull).isPresent() && probes.get() > 0);
        assertThat(disk.unwritable(stillFull)).contains("the outbox disk is full");
        assertThat(probes).as("one probe a second at most").hasValue(1);

        await().atMost(Duration.ofSeconds(3)).until(() -> disk.unwritable(() -> { }).isEmpty());
        assertThat(disk.state().isUp()).isTrue();
    }

    private static SQLiteException sqlite(SQLiteErrorCode code) {
        return new SQLiteException("[" + code.name() + "]", code);
    }
}
