package io.infrasage.pagerduty.anomaly;

/** A team to page: its display name and its Events API v2 routing key (never shown unmasked). */
public record RoutingTarget(String team, String routingKey) {

    public String maskedKey() {
        return mask(routingKey);
    }

    /** Keeps the last 4 characters, enough to tell keys apart in a log or an answer. */
    public static String mask(String key) {
        if (key == null || key.length() <= 4) {
            return "****";
        }
        return "****" + key.substring(key.length() - 4);
    }

    @Override
    public String toString() {
        return team + "(" + maskedKey() + ")";
    }
}
