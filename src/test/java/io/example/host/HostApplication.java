package io.example.host;

import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.main.Main;

/**
 * A host Camel platform that knows nothing about InfraSage except what its own application.properties says: scan the
 * bundle's package (its BundleConfiguration binds the beans) and load the bundle's route files from the classpath.
 * DropInIT starts it on the bundle's thin jar and its dependencies only.
 */
public final class HostApplication {

    private HostApplication() {
    }

    public static void main(String[] args) throws Exception {
        Main main = new Main(); // reads classpath:application.properties: the host's, never the bundle's
        main.configure().addRoutesBuilder(new HostRoutes());
        main.run(args);
    }

    /** The host's own route, next to the bundle's: it feeds anomalies from its own endpoint into direct:anomaly. */
    static final class HostRoutes extends RouteBuilder {
        @Override
        public void configure() {
            from("platform-http:/host/anomaly-feed?httpMethodRestrict=POST").routeId("host-anomaly-feed")
                    .convertBodyTo(String.class)
                    .to("direct:anomaly")
                    .removeHeaders("*", "CamelHttpResponseCode")
                    .setHeader("X-Fed-By", constant("example-host"));
        }
    }
}
