package io.infrasage.pagerduty.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Locale;

import org.apache.camel.main.MainConfigurationProperties;

/**
 * Refuses to start when a port the bundle must listen on is taken (usually a restart while the old process still stops).
 * Camel's Vert.x server reports a failed bind of the management port only on its event loop, after the context has
 * started: the process would run on without its health endpoints, never ready and never exiting.
 */
public final class ListenPortCheck {

    private ListenPortCheck() {
    }

    /** Checks the API server's and the management server's ports, as camel-main configured them, each when enabled. */
    public static void requireFree(MainConfigurationProperties main) {
        var api = main.httpServer();
        requireFree(api.isEnabled(), api.getHost(), api.getPort(), "camel.server.port");
        var management = main.httpManagementServer();
        requireFree(management.isEnabled(), management.getHost(), management.getPort(), "camel.management.port");
    }

    private static void requireFree(boolean enabled, String host, int port, String property) {
        if (!enabled || port == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            // camel-main's own mapping of a property to its environment variable
            String variable = property.toUpperCase(Locale.ROOT).replace('.', '_');
            throw new IllegalStateException("cannot listen on " + host + ":" + port + " (" + property + ", " + variable
                    + "): " + e.getMessage() + "; another process, or an instance of the bundle that is still stopping, holds it");
        }
    }
}
