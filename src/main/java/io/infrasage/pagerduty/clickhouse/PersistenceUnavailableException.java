package io.infrasage.pagerduty.clickhouse;

/**
 * A store could not take a write now; the caller answers 503 (webhooks, posts) or keeps the rows spooled (outbound).
 * Each store names itself in {@link #problem()}, the sentence a client is answered: never the driver's message.
 */
public class PersistenceUnavailableException extends RuntimeException {

    private final String problem;

    public PersistenceUnavailableException(String message, Throwable cause) {
        this("ClickHouse cannot take the write right now", message, cause);
    }

    /** @param problem what cannot take the write, for the client: "the outbox disk is full" */
    protected PersistenceUnavailableException(String problem, String message, Throwable cause) {
        super(message, cause);
        this.problem = problem;
    }

    public String problem() {
        return problem;
    }
}
