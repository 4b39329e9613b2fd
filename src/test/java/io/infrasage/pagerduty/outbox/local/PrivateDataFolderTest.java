package io.infrasage.pagerduty.outbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;

class PrivateDataFolderTest {

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void anOutboxLeftWorldReadableByAnOlderVersionIsTightenedWhenOpened() throws Exception {
        Path folder = Files.createTempDirectory("old-outbox");
        try (LocalStore first = new LocalStore(folder)) {
            // an older bundle's files: 0755 folder, 0644 files
        }
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(folder.resolve("bundle.db"), PosixFilePermissions.fromString("rw-r--r--"));

        try (LocalStore reopened = new LocalStore(folder)) {
            assertThat(mode(folder)).isEqualTo("rwx------");
            assertThat(mode(folder.resolve("bundle.db"))).isEqualTo("rw-------");
            assertThat(mode(folder.resolve("bundle.db-wal"))).isEqualTo("rw-------");
        }
    }
}
