package io.infrasage.pagerduty;

import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a dependency (PagerDuty, ClickHouse, the outbox disk) works, as the last attempt to use it found. The log
 * gets one line when it goes down and one when it is back, and infrasage_dependency_up{dependency} says 0 while it
 * lasts: an outage of hours is two lines, not a line (or a stack trace) per retry.
 */
public final class DependencyState {

    private static final Logger LOG = LoggerFactory.getLogger(DependencyState.class);

    private final String name;
    private final String whileDown;
    private final String isDown;
    private final String isUpAgain;
    private final AtomicBoolean up = new AtomicBoolean(true);
    private volatile long downSince;

    /**
     * @param name      as operators know it: "PagerDuty", "ClickHouse"
     * @param whileDown what the bundle does meanwhile, for the log line
     */
    public DependencyState(String name, String whileDown) {
        this(name, whileDown, "is unreachable", "is reachable again");
    }

    /** @param isDown, isUpAgain how the log lines say it of a dependency that is not reached: "cannot be written" */
    public DependencyState(String name, String whileDown, String isDown, String isUpAgain) {
        this.name = name;
        this.whileDown = whileDown;
        this.isDown = isDown;
        this.isUpAgain = isUpAgain;
    }

    public void down(String reason) {
        if (up.compareAndSet(true, false)) {
            downSince = System.currentTimeMillis();
            LOG.warn("{} {} ({}); {}", name, isDown, firstLine(reason), whileDown);
        }
    }

    public void up() {
        if (up.compareAndSet(false, true)) {
            LOG.info("{} {} after {} s", name, isUpAgain, (System.currentTimeMillis() - downSince) / 1000);
        }
    }

    public boolean isUp() {
        return up.get();
    }

    /** Exports infrasage_dependency_up{dependency="<name in lower case>"}: 1 up, 0 down. */
    public void bind(io.micrometer.core.instrument.MeterRegistry registry) {
        io.micrometer.core.instrument.Gauge.builder("infrasage_dependency_up", () -> isUp() ? 1 : 0)
                .description("1 while the dependency answers, 0 while it is down").tag("dependency", name.toLowerCase())
                .register(registry);
    }

    private static String firstLine(String s) {
        return s == null ? "no answer" : s.lines().findFirst().orElse("");
    }
}
