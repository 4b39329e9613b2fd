package io.infrasage.pagerduty.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads settings in precedence order and collects problems instead of failing on the first. BundleSettings extends it
 * so that each typed value is one field initializer under its declaration.
 */
abstract class SettingsReader {

    private final Function<String, Optional<String>> lookup;
    private final Function<String, String> env;
    private final List<String> problems = new ArrayList<>();

    SettingsReader(Function<String, Optional<String>> lookup, Function<String, String> env) {
        this.lookup = lookup;
        this.env = env;
    }

    /** A bad value is reported and the default stands in, so the rest is still checked. */
    final <T> T get(Setting<T> s) {
        return get(s, v -> v, s.byDefault());
    }

    final <T, R> R get(Setting<T> s, Function<T, R> then, R fallback) {
        try {
            return then.apply(s.type().read(raw(s)));
        } catch (IllegalArgumentException e) {
            problem(s, e.getMessage());
            return fallback;
        }
    }

    final void problem(Setting<?> s, String what) {
        problems.add(s.label() + " " + what);
    }

    final void failIfProblems() {
        if (!problems.isEmpty()) {
            throw new InvalidConfigurationException(problems);
        }
    }

    /** The environment's value unless blank, else the property's unless empty, else the default. */
    private String raw(Setting<?> s) {
        String fromEnv = env.apply(s.env());
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.trim();
        }
        return lookup.apply(s.property()).map(String::trim).filter(v -> !v.isEmpty()).orElse(s.defaultValue());
    }
}
