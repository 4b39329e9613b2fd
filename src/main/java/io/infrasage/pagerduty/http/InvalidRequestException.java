package io.infrasage.pagerduty.http;

import java.util.List;

/** A request the bundle refuses: the HTTP status and every problem found, answered as JSON (never a stack trace). */
public class InvalidRequestException extends RuntimeException {

    private final int status;
    private final String error;
    private final List<String> problems;

    public InvalidRequestException(int status, String error, List<String> problems) {
        super(error + (problems.isEmpty() ? "" : ": " + String.join("; ", problems)));
        this.status = status;
        this.error = error;
        this.problems = List.copyOf(problems);
    }

    public static InvalidRequestException badRequest(String error, List<String> problems) {
        return new InvalidRequestException(400, error, problems);
    }

    public int status() {
        return status;
    }

    public String error() {
        return error;
    }

    public List<String> problems() {
        return problems;
    }
}
