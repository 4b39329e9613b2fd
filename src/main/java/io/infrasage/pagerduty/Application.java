package io.infrasage.pagerduty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.infrasage.pagerduty.config.BundleSettings;
import io.infrasage.pagerduty.http.ListenPortCheck;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Runs the bundle stand-alone. Route files are read from ./routes when that folder exists (ops edit them in place),
 * otherwise from the copies inside the jar, which is also how a host Camel platform loads them.
 */
public final class Application {

    private static final Logger LOG = LoggerFactory.getLogger(Application.class);

    /**
     * The bundle's defaults (a copy of ./application.properties) inside the jar. Deliberately not at the classpath root:
     * a host Camel application that puts this jar on its classpath keeps reading its own application.properties.
     */
    public static final String DEFAULTS = "classpath:infrasage-pagerduty/application.properties";

    private Application() {
    }

    public static void main(String[] args) throws Exception {
        // no classpath scanning, which is slow in the fat jar: the one configuration class is named
        Main main = new Main();
        main.configure().addConfiguration(BundleConfiguration.class);
        main.setPropertyPlaceholderLocations(DEFAULTS + ";optional=true,file:application.properties;optional=true");
        main.configure().withRoutesIncludePattern(routesIncludePattern(Path.of("routes")));
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterConfigure(BaseMainSupport configured) {
                try {
                    ListenPortCheck.requireFree(configured.configure());
                } catch (IllegalStateException taken) {
                    LOG.error("not starting: {}", taken.getMessage());
                    System.exit(1);
                }
                BundleSettings s = configured.getCamelContext().getRegistry().lookupByNameAndType("bundleSettings", BundleSettings.class);
                if (s != null) {
                    // what is left of the stop's bound once the delay is spent goes to the routes' graceful shutdown
                    long seconds = Math.max(1, s.shutdownTimeout.minus(s.shutdownDelay).toSeconds());
                    configured.getCamelContext().getShutdownStrategy().setTimeout(seconds);
                    configured.getCamelContext().getShutdownStrategy().setTimeUnit(TimeUnit.SECONDS);
                    stopOnSignals(main, s.shutdownTimeout);
                }
            }
        });
        main.run(args);
        // a stop asked for by SIGTERM that completed is a success: systemd and Kubernetes read 0, not 143
        System.exit(main.getExitCode());
    }

    /**
     * SIGTERM and SIGINT stop Camel gracefully and let main return, instead of the JVM's default of running the shutdown
     * hooks and exiting 143. Should the stop hang past its bound, the process still ends, with 1.
     */
    private static void stopOnSignals(Main main, Duration bound) {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                Thread watchdog = new Thread(() -> {
                    try {
                        Thread.sleep(bound.plusSeconds(5).toMillis());
                        LOG.error("the stop did not finish within {} s; exiting anyway", bound.plusSeconds(5).toSeconds());
                        Runtime.getRuntime().halt(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "stop-watchdog");
                watchdog.setDaemon(true);
                watchdog.start();
                main.completed();
            });
        }
    }

    static String routesIncludePattern(Path routesDir) {
        if (Files.isDirectory(routesDir)) {
            return "file:" + routesDir.toAbsolutePath().normalize() + "/*.camel.yaml";
        }
        return "classpath:routes/*.camel.yaml";
    }
}
