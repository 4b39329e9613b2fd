package io.infrasage.pagerduty.outbox.local;

import io.infrasage.pagerduty.clickhouse.PersistenceUnavailableException;

/** The local outbox file could not make a write durable (disk full, I/O error, read-only): nothing of it was kept. */
public final class OutboxDiskException extends PersistenceUnavailableException {

    OutboxDiskException(String problem, Throwable cause) {
        super(problem, "local store write failed: " + problem + (cause == null ? "" : " (" + cause.getMessage() + ")"), cause);
    }
}
