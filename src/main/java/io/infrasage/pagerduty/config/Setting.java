package io.infrasage.pagerduty.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One setting, declared once: its property key, the environment variable that overrides it, its default as an operator
 * would write it, how a value is read and checked, and the line docs/configuration.md shows for it.
 */
public record Setting<T>(String property, String env, String defaultValue, Type<T> type, String doc) {

    /** Reads a value; an IllegalArgumentException says what is wrong, and never echoes a secret. */
    @FunctionalInterface
    public interface Type<T> {
        T read(String value);

        Type<String> TEXT = v -> v;
        Type<Optional<String>> OPTIONAL = v -> Optional.of(v).filter(s -> !s.isEmpty());
        /** Comma-separated: blanks around and between the commas dropped. */
        Type<List<String>> LIST = v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        Type<Path> PATH = Path::of;
        Type<Boolean> BOOL = v -> Boolean.valueOf(oneOf("true", "false").read(v));
        Type<Integer> POSITIVE_INT = checked(Integer::valueOf, n -> n > 0, "must be a positive whole number");
        Type<Double> SCORE = checked(Double::valueOf, d -> d >= 0 && d <= 1, "must be a score between 0 and 1");
        Type<URI> URL = checked(URI::create, u -> u.getHost() != null && List.of("http", "https").contains(u.getScheme()),
                "must be an http(s) URL");
        /** ISO-8601 (PT30S) or a number with a unit: 250ms, 30s, 5m, 1h; a plain 0 too ("0 turns it off" needs no unit). */
        Type<Duration> DURATION = checked(Setting::duration, d -> true, "must be a duration such as 250ms, 30s or 5m")
                .and(d -> !d.isNegative(), "must not be negative");
        Type<Duration> POSITIVE_DURATION = DURATION.and(d -> d.toMillis() >= 1, "must be at least 1ms");

        /** One of a few words, in any case: "must be local or kafka". */
        static Type<String> oneOf(String... words) {
            return checked(String::toLowerCase, List.of(words)::contains, "must be " + String.join(" or ", words));
        }

        /** Parsed, then checked: a value the parser throws on, or that fails the check, is refused with "must ...". */
        static <T> Type<T> checked(Function<String, T> parse, Predicate<T> ok, String must) {
            Type<T> parsed = v -> {
                try {
                    return parse.apply(v);
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(must + ", got '" + v + "'");
                }
            };
            return parsed.and(ok, must);
        }

        default Type<T> and(Predicate<T> ok, String must) {
            return v -> {
                T t = read(v);
                if (!ok.test(t)) {
                    throw new IllegalArgumentException(must + ", got '" + v + "'");
                }
                return t;
            };
        }
    }

    public String label() {
        return env + " (" + property + ")";
    }

    /** The value of the default: what stands in for a bad value while the other settings are still checked. */
    public T byDefault() {
        return type.read(defaultValue);
    }

    private static Duration duration(String v) {
        String t = v.toLowerCase();
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        if (t.startsWith("pt")) {
            return Duration.parse(t);
        }
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        long n = Long.parseLong(t.substring(0, t.length() - 1));
        return switch (t.charAt(t.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException("no unit");
        };
    }
}
