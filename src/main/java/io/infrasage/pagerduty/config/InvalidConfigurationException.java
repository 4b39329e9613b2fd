package io.infrasage.pagerduty.config;

import java.util.List;

/** Start-up fails with this: every bad setting named, with what is wrong with it, and no secret value. */
public class InvalidConfigurationException extends RuntimeException {

    private final List<String> problems;

    public InvalidConfigurationException(List<String> problems) {
        super("Invalid configuration, the bundle will not start:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
