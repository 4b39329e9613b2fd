package io.infrasage.pagerduty.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;

/**
 * A collector's OTLP/HTTP endpoint (protobuf, POST /v1/traces) for tests: keeps every span it is sent, with its
 * resource's attributes, and answers 200 as a collector does. Other signals are answered and counted.
 */
public final class OtlpReceiver implements AutoCloseable {

    /** One received span; attribute values as strings (arrays joined with commas). */
    public record ReceivedSpan(String traceId, String spanId, String parentSpanId, String name, Map<String, String> attributes,
                               Map<String, String> resource, long startNanos, long endNanos) {

        public String attribute(String key) {
            return attributes.get(key);
        }
    }

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new ArrayList<>();
    private int requests;

    private OtlpReceiver(HttpServer server) {
        this.server = server;
    }

    /** Listens on 127.0.0.1:port (0: any free port). */
    public static OtlpReceiver start(int port) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
            OtlpReceiver receiver = new OtlpReceiver(server);
            server.createContext("/", exchange -> {
                byte[] body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                receiver.received(exchange.getRequestURI().getPath(), body);
                exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            server.start();
            return receiver;
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on 127.0.0.1:" + port + ": " + e.getMessage(), e);
        }
    }

    /** OTEL_EXPORTER_OTLP_ENDPOINT for an exporter that sends here. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private synchronized void received(String path, byte[] body) throws IOException {
        requests++;
        if (!path.equals("/v1/traces")) {
            return;
        }
        for (ResourceSpans rs : ExportTraceServiceRequest.parseFrom(body).getResourceSpansList()) {
            Map<String, String> resource = strings(rs.getResource().getAttributesList());
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (var s : ss.getSpansList()) {
                    spans.add(new ReceivedSpan(hex(s.getTraceId().toByteArray()), hex(s.getSpanId().toByteArray()),
                            hex(s.getParentSpanId().toByteArray()), s.getName(), strings(s.getAttributesList()), resource,
                            s.getStartTimeUnixNano(), s.getEndTimeUnixNano()));
                }
            }
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static Map<String, String> strings(List<KeyValue> attributes) {
        Map<String, String> out = new LinkedHashMap<>();
        for (KeyValue kv : attributes) {
            out.put(kv.getKey(), string(kv.getValue()));
        }
        return out;
    }

    private static String string(AnyValue v) {
        return switch (v.getValueCase()) {
            case STRING_VALUE -> v.getStringValue();
            case INT_VALUE -> Long.toString(v.getIntValue());
            case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
            case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
            case ARRAY_VALUE -> v.getArrayValue().getValuesList().stream().map(OtlpReceiver::string).collect(Collectors.joining(","));
            default -> v.toString();
        };
    }

    public synchronized List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    /** Every span of one trace. */
    public List<ReceivedSpan> trace(String traceId) {
        return spans().stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    /** Export requests of any signal received so far. */
    public synchronized int requests() {
        return requests;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
