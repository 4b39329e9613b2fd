package io.infrasage.pagerduty;

import java.time.Duration;

import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first step of a stop, before Camel stops any route: the instance turns unready and its API answers 503
 * (StoppingAnswers), then it waits the shutdown delay so that load balancers take it out of rotation while it still
 * listens. Camel's graceful shutdown then lets the requests in flight finish before the routes and the listener stop.
 */
public final class GracefulStop extends EventNotifierSupport {

    private static final Logger LOG = LoggerFactory.getLogger(GracefulStop.class);

    private final Duration delay;
    private volatile boolean stopping;

    public GracefulStop(Duration delay) {
        this.delay = delay;
        setIgnoreExchangeEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreStepEvents(true);
    }

    public boolean isStopping() {
        return stopping;
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof CamelEvent.CamelContextStoppingEvent;
    }

    @Override
    public void notify(CamelEvent event) throws InterruptedException {
        if (stopping) {
            return;
        }
        stopping = true;
        LOG.info("Stopping: unready, new requests answered 503 for {} ms; then requests in flight finish and the routes stop",
                delay.toMillis());
        Thread.sleep(delay.toMillis());
    }
}
