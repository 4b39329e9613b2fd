package io.infrasage.pagerduty.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.telemetry.Tracer;
import org.junit.jupiter.api.Test;

class BundleTracingTest {

    static boolean requested(Map<String, String> env) {
        return BundleTracing.requested(env::get);
    }

    @Test
    void offWithoutOtelVariables() {
        assertThat(requested(Map.of())).isFalse();
        assertThat(requested(Map.of("OTEL_SERVICE_NAME", "pager", "OTEL_BSP_SCHEDULE_DELAY", "200"))).isFalse();
    }

    @Test
    void onWhenAnExporterOrAnEndpointIsNamed() {
        assertThat(requested(Map.of("OTEL_TRACES_EXPORTER", "otlp"))).isTrue();
        assertThat(requested(Map.of("OTEL_TRACES_EXPORTER", "console"))).isTrue();
        assertThat(requested(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"))).isTrue();
        assertThat(requested(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces"))).isTrue();
    }

    @Test
    void offWhenTheSdkIsDisabledOrTheExporterIsNone() {
        assertThat(requested(Map.of("OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"))).isFalse();
        assertThat(requested(Map.of("OTEL_SDK_DISABLED", "true", "OTEL_TRACES_EXPORTER", "otlp"))).isFalse();
    }

    @Test
    void nothingIsInstalledOnCamelWhenOff() throws Exception {
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            BundleTracing.installOn(camel, Map.<String, String>of()::get);
            assertThat(camel.hasService(Tracer.class)).isNull();
            assertThat(camel.getRegistry().findByType(io.opentelemetry.api.trace.Tracer.class)).isEmpty();
        }
    }

    @Test
    void camelsTracerIsInstalledWhenOn() throws Exception {
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            // no route runs, so nothing is sent to the endpoint
            BundleTracing.installOn(camel, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")::get);
            assertThat(camel.hasService(Tracer.class)).isNotNull();
        }
    }
}
