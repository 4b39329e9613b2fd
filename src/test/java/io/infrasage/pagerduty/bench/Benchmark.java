package io.infrasage.pagerduty.bench;

/**
 * Entry point of scripts/benchmark.sh: {@code Benchmark [all|storm|crash|kafka|kafka-crash]}; the Kafka modes run two
 * instances on the broker the script started ({@code BENCH_KAFKA_BOOTSTRAP_SERVERS}). The PagerDuty sandbox runs inside this JVM
 * (its Java API counts what PagerDuty received); the bundle, Alertmanager and the bare Vert.x responder run as processes
 * of their own. Every run is bounded in requests and time and stops by itself.
 */
public final class Benchmark {

    private Benchmark() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length == 0 ? "all" : args[0];
        BenchSettings settings = new BenchSettings();
        // stopped or interrupted: take down what this driver started (the bundle, Alertmanager, the responder), nothing else
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ProcessHandle.current().descendants()
                .forEach(ProcessHandle::destroyForcibly), "benchmark-cleanup"));
        int failures;
        try {
            failures = switch (mode) {
                case "all" -> new ThroughputRun(settings, false).run();
                case "storm" -> new StormRun(settings).run();
                case "crash" -> new CrashRun(settings, false).run();
                case "kafka" -> new ThroughputRun(settings, true).run();
                case "kafka-crash" -> new CrashRun(settings, true).run();
                default -> throw new IllegalArgumentException("mode must be all, storm, crash, kafka or kafka-crash, not " + mode);
            };
        } catch (Throwable e) {
            // on stdout, where the report goes, so a broken run never looks like a silent one
            System.out.println("BENCHMARK FAILED: " + e);
            e.printStackTrace(System.out);
            failures = 2;
        }
        System.exit(failures);
    }
}
