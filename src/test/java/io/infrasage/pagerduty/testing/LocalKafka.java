package io.infrasage.pagerduty.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real one-node Kafka broker (KRaft) for tests, started by the project's own scripts/kafka.sh from Maven Central's
 * jars, in a JVM of its own, on a free port with its data in a temporary folder. A test may stop it and start it again
 * on the same port with the same data, as a maintenance window does.
 */
public final class LocalKafka implements AutoCloseable {

    private final int port;
    private final Path dir;

    private LocalKafka(int port, Path dir) {
        this.port = port;
        this.dir = dir;
    }

    public static LocalKafka start() {
        try {
            LocalKafka kafka = new LocalKafka(FreePorts.nextPair(), Files.createTempDirectory("kafka-broker"));
            kafka.script("start");
            return kafka;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    private void script(String command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(List.of(LocalClickHouse.projectRoot().resolve("scripts/kafka.sh").toString(), command))
                    .directory(LocalClickHouse.projectRoot().toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("script.log").toFile()));
            pb.environment().put("KAFKA_PORT", Integer.toString(port));
            pb.environment().put("KAFKA_DIR", dir.toString());
            Process p = pb.start();
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("scripts/kafka.sh " + command + " failed: " + Files.readString(dir.resolve("script.log")));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the broker as its service manager does (SIGTERM, a controlled shutdown); port and data are kept. */
    public void stop() {
        script("stop");
    }

    /** Starts the stopped broker again on the same port with the same data; returns once it accepts connections. */
    public void startAgain() {
        script("start");
    }

    @Override
    public void close() {
        script("stop");
    }
}
