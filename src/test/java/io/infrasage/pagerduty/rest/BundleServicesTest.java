package io.infrasage.pagerduty.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.infrasage.pagerduty.rest.BundleServices.Verdict;
import org.junit.jupiter.api.Test;

class BundleServicesTest {

    @Test
    void givenServicesAreKnownFromTheStart() {
        BundleServices services = new BundleServices(List.of("PSVC1", "PSVC2"), 5);
        assertThat(services.verdict("PSVC1")).isEqualTo(Verdict.OURS);
        assertThat(services.verdict("POTHER")).isEqualTo(Verdict.NOT_OURS);
        assertThat(services.verdict(null)).isEqualTo(Verdict.UNKNOWN);
        assertThat(services.listingFilter()).contains(List.of("PSVC1", "PSVC2"));
        services.learn("POTHER");
        assertThat(services.verdict("POTHER")).as("given ones are the whole list").isEqualTo(Verdict.NOT_OURS);
    }

    @Test
    void learnedServicesAreAllOnceThereAreAsManyAsRoutingKeys() {
        BundleServices services = new BundleServices(List.of(), 2);
        assertThat(services.verdict("PSVC1")).isEqualTo(Verdict.UNKNOWN);
        assertThat(services.listingFilter()).isEmpty();
        services.learn("PSVC1");
        services.learn("PSVC1");
        assertThat(services.verdict("PSVC1")).isEqualTo(Verdict.OURS);
        assertThat(services.verdict("POTHER")).as("one routing key's service still unknown").isEqualTo(Verdict.UNKNOWN);
        assertThat(services.complete()).isFalse();
        services.learn("PSVC2");
        assertThat(services.complete()).isTrue();
        assertThat(services.verdict("POTHER")).isEqualTo(Verdict.NOT_OURS);
        assertThat(services.listingFilter()).contains(List.of("PSVC1", "PSVC2"));
        services.learn("PSVC3");
        assertThat(services.verdict("PSVC3")).as("no more services than routing keys").isEqualTo(Verdict.NOT_OURS);
    }

    @Test
    void withoutRoutingKeysNothingIsEverComplete() {
        BundleServices services = new BundleServices(List.of(), 0);
        services.learn("PSVC1");
        assertThat(services.complete()).isFalse();
        assertThat(services.verdict("PSVC1")).isEqualTo(Verdict.UNKNOWN);
    }
}
