package io.example.springhost;

import org.apache.camel.builder.RouteBuilder;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.stereotype.Component;

/**
 * A Spring Boot host with Camel Spring Boot that knows nothing about InfraSage except what its own
 * application.properties says: where the bundle's route files are, and the bundle's required settings. The bundle's
 * auto-configuration does the rest. SpringBootDropInIT starts it on the bundle's thin jar, its dependencies and the
 * host's Spring Boot starters only.
 */
@SpringBootApplication
public class SpringHostApplication {

    public static void main(String[] args) {
        SpringApplication.run(SpringHostApplication.class, args);
    }

    /** The host's own route, next to the bundle's: it feeds anomalies from its own endpoint into direct:anomaly. */
    @Component
    static class HostRoutes extends RouteBuilder {
        @Override
        public void configure() {
            from("platform-http:/host/anomaly-feed?httpMethodRestrict=POST").routeId("host-anomaly-feed")
                    .convertBodyTo(String.class)
                    .to("direct:anomaly")
                    .removeHeaders("*", "CamelHttpResponseCode")
                    .setHeader("X-Fed-By", constant("example-spring-host"));
        }
    }
}
