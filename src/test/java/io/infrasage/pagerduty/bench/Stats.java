package io.infrasage.pagerduty.bench;

import java.util.Arrays;
import java.util.Locale;

/** Percentiles and number formatting for the report. */
public final class Stats {

    private Stats() {
    }

    /** Nearest-rank percentile of the values (unsorted input is fine); NaN when empty. */
    public static double percentile(double[] values, double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    public static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }

    public static String ms(double millis) {
        if (Double.isNaN(millis)) {
            return "n/a";
        }
        return millis < 10 ? String.format(Locale.ROOT, "%.2f ms", millis)
                : millis < 1000 ? String.format(Locale.ROOT, "%.1f ms", millis)
                : String.format(Locale.ROOT, "%.2f s", millis / 1000);
    }

    public static String rate(double perSecond) {
        if (Double.isNaN(perSecond) || Double.isInfinite(perSecond)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.0f/s", perSecond);
    }

    /** "2.10×", or "n/a" when either side measured nothing. */
    public static String ratio(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "n/a" : String.format(Locale.ROOT, "%.2f×", value);
    }

    public static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** "p50 x, p99 y, max z" of latencies in ms. */
    public static String latencies(double[] millis) {
        return "p50 " + ms(percentile(millis, 50)) + ", p99 " + ms(percentile(millis, 99)) + ", max " + ms(max(millis))
                + " (n=" + millis.length + ")";
    }
}
