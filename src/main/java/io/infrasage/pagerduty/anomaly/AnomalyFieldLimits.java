package io.infrasage.pagerduty.anomaly;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Holds an anomaly's descriptive fields to the lengths a page carries. Only identity and meaning refuse an anomaly
 * (anomaly_id, service, score: the schema); a field that is merely too long is cut here, with a visible mark ("…" at
 * the end of a text, a last item "… and N more" in a list), and the cut is named in {@link Anomaly#cuts()}, which the
 * page's custom_details and the 202 answer repeat. Everything after the parser (the event, the outbox, ClickHouse)
 * sees the cut anomaly, so nothing downstream holds an unbounded field.
 */
public final class AnomalyFieldLimits {

    /** metric and environment are names shown in one line of the page (the summary, PagerDuty's group). */
    static final int NAME_CHARS = 200;
    static final int UNIT_CHARS = 32;
    /** An RCA text: generous, yet 64 KB leaves most of PagerDuty's 512 KB to the rest of the event. */
    static final int ROOT_CAUSE_CHARS = 65_536;
    /** Services affected: enough to read the scope in a page; 1,000 names of 200 characters are 200 KB at most. */
    static final int BLAST_RADIUS_ITEMS = 1_000;
    static final int SERVICE_NAME_CHARS = 200;
    static final int SUGGESTED_ACTIONS_ITEMS = 100;
    static final int ACTION_CHARS = 4_096;
    /** A longer URL is left out rather than cut: a cut link leads nowhere. */
    static final int URL_CHARS = 2_048;

    private AnomalyFieldLimits() {
    }

    /** The anomaly with every over-long field cut, and the cuts named; the same anomaly when nothing is too long. */
    public static Anomaly cut(Anomaly a) {
        List<String> cuts = new ArrayList<>(a.cuts());
        String url = a.infrasageUrl();
        if (url != null && url.length() > URL_CHARS) {
            cuts.add("infrasage_url: " + count(url.length()) + " characters, over " + count(URL_CHARS) + ": left out");
            url = null;
        }
        Anomaly cut = new Anomaly(a.anomalyId(), a.service(),
                text("metric", a.metric(), NAME_CHARS, cuts),
                a.value(),
                text("unit", a.unit(), UNIT_CHARS, cuts),
                a.score(),
                text("root_cause", a.rootCause(), ROOT_CAUSE_CHARS, cuts),
                list("blast_radius", a.blastRadius(), BLAST_RADIUS_ITEMS, SERVICE_NAME_CHARS, cuts),
                list("suggested_actions", a.suggestedActions(), SUGGESTED_ACTIONS_ITEMS, ACTION_CHARS, cuts),
                a.rcaConfidence(),
                text("environment", a.environment(), NAME_CHARS, cuts),
                a.detectedAt(),
                url,
                text("summary", a.summary(), PagerDutyEvents.MAX_SUMMARY_CHARS, cuts),
                cuts);
        return cuts.size() == a.cuts().size() ? a : cut;
    }

    private static String text(String field, String value, int max, List<String> cuts) {
        if (value == null || value.length() <= max) {
            return value;
        }
        cuts.add(field + ": " + count(value.length()) + " characters cut to " + count(max));
        return PagerDutyEvents.truncate(value, max);
    }

    private static List<String> list(String field, List<String> items, int maxItems, int maxChars, List<String> cuts) {
        List<String> out = new ArrayList<>(Math.min(items.size(), maxItems + 1));
        int longItems = 0;
        for (int i = 0; i < Math.min(items.size(), maxItems); i++) {
            String item = items.get(i);
            if (item.length() > maxChars) {
                longItems++;
                item = PagerDutyEvents.truncate(item, maxChars);
            }
            out.add(item);
        }
        if (items.size() > maxItems) {
            out.add(moreMark(items.size() - maxItems));
            cuts.add(field + ": " + count(items.size()) + " items, the first " + count(maxItems) + " kept");
        }
        if (longItems > 0) {
            cuts.add(field + ": " + count(longItems) + (longItems == 1 ? " item" : " items") + " cut to " + count(maxChars)
                    + " characters");
        }
        return longItems == 0 && items.size() <= maxItems ? items : out;
    }

    /** The last item of a cut list, so a reader of the page sees that the list goes on. */
    static String moreMark(int more) {
        return "… and " + count(more) + " more";
    }

    /** 6,000 rather than 6000: these texts are read by people, in a page. */
    static String count(int n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
