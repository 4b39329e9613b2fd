package io.infrasage.pagerduty.config;

/**
 * One documented setting: the property key in application.properties and the environment variable that overrides
 * it. Problems are reported with both names so an operator knows what to change.
 */
public record Setting(String property, String env) {

    public static Setting of(String property, String env) {
        return new Setting(property, env);
    }

    public String label() {
        return env + " (" + property + ")";
    }
}
