package io.infrasage.pagerduty.testing;

import java.io.StringWriter;
import java.util.UUID;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.layout.PatternLayout;

/** The log lines this JVM writes while it is open, as the bundle's console would show them (level, logger, message). */
public final class CapturedLog implements AutoCloseable {

    private final StringWriter out = new StringWriter();
    private final String name = "captured-" + UUID.randomUUID();
    private final LoggerContext context = (LoggerContext) LogManager.getContext(false);

    public CapturedLog() {
        Configuration config = context.getConfiguration();
        WriterAppender appender = WriterAppender.newBuilder().setName(name).setTarget(out)
                .setLayout(PatternLayout.newBuilder().withPattern("%-5level %c{1} - %msg%n").withConfiguration(config).build())
                .build();
        appender.start();
        config.getRootLogger().addAppender(appender, null, null);
        context.updateLoggers();
    }

    public synchronized String text() {
        return out.toString();
    }

    @Override
    public void close() {
        context.getConfiguration().getRootLogger().removeAppender(name);
        context.updateLoggers();
    }
}
