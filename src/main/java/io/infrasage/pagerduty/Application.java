package io.infrasage.pagerduty;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.camel.main.Main;

/**
 * Runs the bundle stand-alone. Route files are read from ./routes when that folder exists (ops edit them in place),
 * otherwise from the copies inside the jar, which is also how a host Camel platform loads them.
 */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) throws Exception {
        // no classpath scanning (it cost ~2 s at start-up in the fat jar): the one configuration class is named
        Main main = new Main();
        main.configure().addConfiguration(BundleConfiguration.class);
        main.setPropertyPlaceholderLocations("classpath:application.properties;optional=true,file:application.properties;optional=true");
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
