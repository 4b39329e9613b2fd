package io.infrasage.pagerduty.anomaly;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class AnomalyFieldLimitsTest {

    private static Anomaly anomaly(String metric, List<String> blastRadius, String url, String summary) {
        return new Anomaly("a-1", "payment-api", metric, 87.0, "%", 0.9, "pool exhausted", blastRadius, List.of("Restart pods"),
                0.9, "production", null, url, summary);
    }

    @Test
    void aMetricOf2000CharactersIsCutTo200WithAMarkAndTheCutIsNamed() {
        Anomaly cut = AnomalyFieldLimits.cut(anomaly("m".repeat(2000), List.of(), null, null));

        assertThat(cut.metric()).hasSize(200).startsWith("m".repeat(199)).endsWith("…");
        assertThat(cut.cuts()).containsExactly("metric: 2,000 characters cut to 200");
        assertThat(cut.anomalyId()).isEqualTo("a-1");
        assertThat(cut.rootCause()).isEqualTo("pool exhausted");
    }

    @Test
    void aBlastRadiusOf6000ServicesKeepsTheFirst1000AndSaysHowManyMoreThereWere() {
        List<String> services = IntStream.range(0, 6000).mapToObj(i -> "service-" + i).toList();

        Anomaly cut = AnomalyFieldLimits.cut(anomaly("CPU", services, null, null));

        assertThat(cut.blastRadius()).hasSize(1001).startsWith("service-0", "service-1").contains("service-999")
                .doesNotContain("service-1000").endsWith("… and 5,000 more");
        assertThat(cut.cuts()).containsExactly("blast_radius: 6,000 items, the first 1,000 kept");
    }

    @Test
    void overLongItemsOfAListAreCutEachAndCounted() {
        Anomaly cut = AnomalyFieldLimits.cut(anomaly("CPU", List.of("x".repeat(300), "ok", "y".repeat(201)), null, null));

        assertThat(cut.blastRadius()).containsExactly("x".repeat(199) + "…", "ok", "y".repeat(199) + "…");
        assertThat(cut.cuts()).containsExactly("blast_radius: 2 items cut to 200 characters");
    }

    @Test
    void anInfrasageUrlTooLongToBeALinkIsLeftOutNotCut() {
        Anomaly cut = AnomalyFieldLimits.cut(anomaly("CPU", List.of(), "https://x/" + "p".repeat(3000), null));

        assertThat(cut.infrasageUrl()).isNull();
        assertThat(cut.cuts()).containsExactly("infrasage_url: 3,010 characters, over 2,048: left out");
    }

    @Test
    void aSummaryIsCutToPagerDutysLimit() {
        Anomaly cut = AnomalyFieldLimits.cut(anomaly("CPU", List.of(), null, "s".repeat(5000)));

        assertThat(cut.summary()).hasSize(PagerDutyEvents.MAX_SUMMARY_CHARS).endsWith("…");
        assertThat(cut.cuts()).containsExactly("summary: 5,000 characters cut to 1,024");
    }

    @Test
    void anAnomalyWithinEveryLimitIsReturnedAsItIs() {
        Anomaly a = anomaly("CPU", Collections.nCopies(1000, "s".repeat(200)), "https://x/" + "p".repeat(2038), "s".repeat(1024));

        assertThat(AnomalyFieldLimits.cut(a)).isSameAs(a);
        assertThat(a.cuts()).isEmpty();
    }
}
