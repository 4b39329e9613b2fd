package io.infrasage.pagerduty;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.camel.main.Main;

/**
 * Runs the bundle stand-alone. Route files are read from ./routes when that folder exists (ops edit them in place),
 * otherwise from the copies inside the jar, which is also how a host Camel platform loads them.
 */
public final class Application {

    /**
     * The bundle's defaults (a copy of ./application.properties) inside the jar. Deliberately not at the classpath root:
     * a host Camel application that puts this jar on its classpath keeps reading its own application.properties.
     */
    public static final String DEFAULTS = "classpath:infrasage-pagerduty/application.properties";

    private Application() {
    }

    public static void main(String[] args) throws Exception {
        // no classpath scanning (it cost ~2 s at start-up in the fat jar): the one configuration class is named
        Main main = new Main();
        main.configure().addConfiguration(BundleConfiguration.class);
        main.setPropertyPlaceholderLocations(DEFAULTS + ";optional=true,file:application.properties;optional=true");
        main.configure().withRoutesIncludePattern(routesIncludePattern(Path.of("routes")));
        main.run(args);
    }

    static String routesIncludePattern(Path routesDir) {
        if (Files.isDirectory(routesDir)) {
            return "file:" + routesDir.toAbsolutePath().normalize() + "/*.camel.yaml";
        }
        return "classpath:routes/*.camel.yaml";
    }
}
