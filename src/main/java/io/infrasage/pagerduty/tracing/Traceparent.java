package io.infrasage.pagerduty.tracing;

import java.util.HashMap;
import java.util.Map;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;

/**
 * The W3C traceparent of the span current on this thread, kept with an outbox event so that its delivery, later and
 * maybe on another instance, joins the trace that accepted it (Camel's tracer reads the traceparent header).
 */
public final class Traceparent {

    /** The header Camel's tracer extracts the parent from, and the Kafka record header of the same name. */
    public static final String HEADER = "traceparent";

    private Traceparent() {
    }

    /** The current span's traceparent, or null when no span is current (tracing off, or outside a traced route). */
    public static String current() {
        if (!Span.current().getSpanContext().isValid()) {
            return null;
        }
        Map<String, String> carrier = new HashMap<>();
        W3CTraceContextPropagator.getInstance().inject(Context.current(), carrier, Map::put);
        return carrier.get(HEADER);
    }
}
