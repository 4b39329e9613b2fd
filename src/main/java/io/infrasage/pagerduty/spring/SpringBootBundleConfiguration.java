package io.infrasage.pagerduty.spring;

import java.util.Optional;

import io.infrasage.pagerduty.BundleConfiguration;
import io.infrasage.pagerduty.config.BundleSettings;
import org.apache.camel.CamelContext;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.core.env.Environment;

/**
 * The bundle in a Spring Boot host with Camel Spring Boot: found through the jar's
 * META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports, it hands Camel's context to
 * BundleConfiguration (the same wiring as in a Camel Main host) once the host's routes are loaded and before Camel
 * starts. Settings come from the environment variables first, then from Spring's Environment (the host's
 * application.properties, profiles, command line), then the built-in defaults.
 */
@AutoConfiguration(afterName = "org.apache.camel.spring.boot.CamelAutoConfiguration")
@ConditionalOnClass(name = "org.apache.camel.spring.boot.CamelContextConfiguration")
public class SpringBootBundleConfiguration implements CamelContextConfiguration {

    private final Environment environment;

    public SpringBootBundleConfiguration(Environment environment) {
        this.environment = environment;
    }

    @Override
    public void beforeApplicationStart(CamelContext camel) {
        BundleSettings settings = BundleSettings.load(key -> Optional.ofNullable(environment.getProperty(key)), System::getenv);
        try {
            new BundleConfiguration().configure(camel, settings);
        } catch (Exception e) {
            throw RuntimeCamelException.wrapRuntimeCamelException(e);
        }
    }

    @Override
    public void afterApplicationStart(CamelContext camel) {
        // BundleConfiguration's own startup listeners do what follows the start
    }
}
