package io.infrasage.pagerduty.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

import org.apache.camel.CamelContext;

/**
 * Refuses to start when a port the bundle must listen on is taken (usually a restart while the old process still stops).
 * Camel's Vert.x server reports a failed bind of the management port only on its event loop, after the context has
 * started: the process would run on without its health endpoints, never ready and never exiting.
 */
public final class ListenPortCheck {

    private ListenPortCheck() {
    }

    /** Checks the API server's and the management server's ports, each when its server is enabled. */
    public static void requireFree(CamelContext camel) {
        requireFree(camel, "camel.server", "CAMEL_SERVER_PORT");
        requireFree(camel, "camel.management", "CAMEL_MANAGEMENT_PORT");
    }

    private static void requireFree(CamelContext camel, String server, String variable) {
        var properties = camel.getPropertiesComponent();
        if (!Boolean.parseBoolean(properties.resolveProperty(server + ".enabled").orElse("false"))) {
            return;
        }
        String host = properties.resolveProperty(server + ".host").orElse("0.0.0.0");
        int port = Integer.parseInt(properties.resolveProperty(server + ".port").orElse("0").trim());
        if (port == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + host + ":" + port + " (" + server + ".port, " + variable
                    + "): " + e.getMessage() + "; another process, or an instance of the bundle that is still stopping, holds it");
        }
    }
}
