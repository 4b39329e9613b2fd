package io.infrasage.pagerduty.outbox.local;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The outbox folder and its database: they hold routing keys in clear, so only the bundle's user may read them
 * (folder 0700, files 0600). The database file is created 0600 before SQLite opens it, because SQLite gives its -wal
 * and -shm files the mode of the database; files left by an older version are tightened at start-up. On a file system
 * without POSIX permissions nothing is changed.
 */
final class PrivateDataFolder {

    static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private PrivateDataFolder() {
    }

    /** Creates or tightens the folder and the database file; returns the database file. */
    static Path prepare(Path folder, String databaseName) throws IOException {
        boolean posix = Files.getFileStore(Files.createDirectories(folder)).supportsFileAttributeView("posix");
        Path db = folder.resolve(databaseName);
        if (!posix) {
            return db;
        }
        Files.setPosixFilePermissions(folder, FOLDER);
        try {
            Files.createFile(db, PosixFilePermissions.asFileAttribute(FILE));
        } catch (FileAlreadyExistsException existing) {
            // tightened below
        }
        for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
            Path f = folder.resolve(databaseName + suffix);
            if (Files.exists(f)) {
                Files.setPosixFilePermissions(f, FILE);
            }
        }
        return db;
    }
}
