package io.infrasage.pagerduty.tracing;

import java.util.Map;
import java.util.function.Function;

import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import org.apache.camel.CamelContext;
import org.apache.camel.opentelemetry2.OpenTelemetryTracer;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Camel's OpenTelemetry tracing (camel-opentelemetry2: a span per route and per endpoint, W3C trace context read from
 * and written to headers), switched on by OpenTelemetry's standard variables and configured by its SDK autoconfigure.
 * Without them nothing is built and nothing is sent: the SDK's own default would export to localhost:4318.
 */
public final class BundleTracing {

    private static final Logger LOG = LoggerFactory.getLogger(BundleTracing.class);
    /** Timer routes fire every second or so: a trace each would drown the pages' traces. */
    static final String EXCLUDED = "timer:*";
    /**
     * Defaults under the OTEL_* variables (which win): the bundle's name; traces only (metrics are Prometheus's); OTLP
     * over HTTP, the specification's default and the only sender bundled (the Java SDK's own default is gRPC).
     */
    static final Map<String, String> DEFAULTS = Map.of("otel.service.name", "infrasage-pagerduty",
            "otel.metrics.exporter", "none", "otel.logs.exporter", "none", "otel.exporter.otlp.protocol", "http/protobuf");

    private BundleTracing() {
    }

    /**
     * Tracing is asked for when an exporter or an OTLP endpoint is named (OTEL_TRACES_EXPORTER other than none,
     * OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and OTEL_SDK_DISABLED is not true. The system
     * properties of the same names (otel.traces.exporter, ...) count too, as they do for the SDK.
     */
    public static boolean requested(Function<String, String> env) {
        String exporter = read(env, "OTEL_TRACES_EXPORTER");
        if ("true".equalsIgnoreCase(read(env, "OTEL_SDK_DISABLED")) || "none".equalsIgnoreCase(exporter)) {
            return false;
        }
        return exporter != null || read(env, "OTEL_EXPORTER_OTLP_ENDPOINT") != null
                || read(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != null;
    }

    private static String read(Function<String, String> env, String variable) {
        String value = System.getProperty(variable.toLowerCase().replace('_', '.'));
        if (value == null || value.isBlank()) {
            value = env.apply(variable);
        }
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** Installs Camel's tracer on this context when the variables ask for it; its SDK is flushed and closed with Camel. */
    public static void installOn(CamelContext camel, Function<String, String> env) throws Exception {
        if (!requested(env)) {
            return;
        }
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> DEFAULTS)
                .disableShutdownHook() // closed with Camel below, after the last routes' spans
                .build()
                .getOpenTelemetrySdk();
        // this context's own SDK, found by Camel's tracer in the registry: no JVM-wide GlobalOpenTelemetry is claimed
        camel.getRegistry().bind("infrasageOpenTelemetryTracer", Tracer.class, sdk.getTracer("camel"));
        camel.getRegistry().bind("infrasageOpenTelemetryPropagators", ContextPropagators.class, sdk.getPropagators());
        OpenTelemetryTracer tracer = new OpenTelemetryTracer();
        tracer.setExcludePatterns(EXCLUDED);
        tracer.init(camel);
        camel.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                sdk.close();
            }
        });
        LOG.info("tracing on: spans exported as OTEL_* configures ({})", read(env, "OTEL_TRACES_EXPORTER") == null
                ? "otlp" : read(env, "OTEL_TRACES_EXPORTER"));
    }
}
