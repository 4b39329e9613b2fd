package io.infrasage.pagerduty.clickhouse;

/** ClickHouse could not take a write now; the caller answers 503 (webhooks) or keeps the rows spooled (outbound). */
public class PersistenceUnavailableException extends RuntimeException {

    public PersistenceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
