package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.anomaly.RoutingTarget;
import io.infrasage.pagerduty.outbox.AcceptRequest;
import io.infrasage.pagerduty.outbox.NewAnomaly;
import io.infrasage.pagerduty.outbox.NewEvent;
import io.infrasage.pagerduty.outbox.local.LocalStore;
import io.infrasage.pagerduty.outbox.local.OutboxDiskException;
import io.infrasage.pagerduty.sandbox.PagerDutySandbox;
import io.infrasage.pagerduty.testing.BundleProcess;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 20: the embedded outbox on a real full file system (a small tmpfs) while PagerDuty is down. Posts get JSON 503s
 * naming the disk and readiness goes DOWN; PagerDuty coming back gets every page accepted so far while the disk is still
 * full; once space is freed the same process accepts again, and every page it ever answered 2xx reaches PagerDuty once.
 * Needs root (mount); anywhere else this test alone is skipped, with a warning.
 */
class DiskFullIT {

    private static final Logger LOG = LoggerFactory.getLogger(DiskFullIT.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "D".repeat(28) + "disk";
    /** Room left beside the filler: a few dozen accepts (each commit writes a few pages to the WAL), filled in seconds. */
    private static final long ROOM_BYTES = 1024 * 1024;
    private static final RoutingTarget STORE_TEAM = new RoutingTarget("storage", "S".repeat(32));

    private static Path disk;

    @BeforeAll
    static void mountASmallDisk() throws Exception {
        disk = Files.createTempDirectory("outbox-disk");
        String failure = run("mount", "-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", disk.toString());
        if (failure != null) {
            LOG.warn("DiskFullIT SKIPPED: cannot mount a tmpfs for the data folder here ({}); the full-disk behaviour is "
                    + "NOT tested on this machine (CI runs it as root)", failure);
            Files.deleteIfExists(disk);
            disk = null;
        }
    }

    /** Each test reports itself skipped, so the summary shows it too. */
    @BeforeEach
    void needsTheSmallDisk() {
        Assumptions.assumeTrue(disk != null, "DiskFullIT needs to mount a tmpfs (root): skipped, the full disk is not tested here");
    }

    /** Each test gets the whole small disk. */
    @AfterEach
    void emptyTheDisk() throws IOException {
        if (disk == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(disk)) {
            files.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(disk)).forEach(p -> p.toFile().delete());
        }
    }

    @AfterAll
    static void unmount() throws Exception {
        if (disk != null) {
            if (run("umount", disk.toString()) != null) {
                run("umount", "-l", disk.toString());
            }
            Files.deleteIfExists(disk);
        }
    }

    @Test
    void aFullDiskRefusesWithClear503sKeepsDeliveringAndOnceSpaceReturnsAcceptsAgainWithoutARestart() throws Exception {
        Path log = Files.createDirectories(LocalClickHouse.projectRoot().resolve("target")).resolve("disk-full-test-bundle.log");
        Files.deleteIfExists(log);
        try (PagerDutySandbox sandbox = PagerDutySandbox.builder().port(0).rateLimitPerMinute(100_000).start()) {
            sandbox.faults().down(); // PagerDuty away: everything accepted stays in the outbox on the small disk
            List<String> accepted = new ArrayList<>();
            List<String> refused = new ArrayList<>();
            try (BundleProcess bundle = BundleProcess.start(env(sandbox), log)) {
                Path filler = disk.resolve("filler");
                fill(filler, Files.getFileStore(disk).getUsableSpace() - ROOM_BYTES);

                // until the disk is full: every refusal a JSON 503 that names the disk, with Retry-After; never a 500
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                int refusedInARow = 0;
                for (int n = 0; refusedInARow < 5 && System.nanoTime() < until; n++) {
                    String id = "disk-" + n + "-" + System.nanoTime();
                    HttpResponse<String> answer = post(bundle, id);
                    if (answer.statusCode() == 202) {
                        accepted.add(id);
                        refusedInARow = 0;
                    } else {
                        assertRefusedForTheDisk(answer);
                        refused.add(id);
                        refusedInARow++;
                    }
                }
                assertThat(refusedInARow).as("the disk filled up (accepted %d)", accepted.size()).isEqualTo(5);
                assertThat(accepted).as("pages accepted before the disk filled").isNotEmpty();

                // a batch is refused whole the same way
                HttpResponse<String> batch = bundle.postJson("/api/v1/anomalies", "[" + anomaly("disk-batch-" + System.nanoTime()) + "]");
                assertRefusedForTheDisk(batch);

                // readiness: DOWN, as JSON, the outbox check naming the disk
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    HttpResponse<String> health = health(bundle);
                    assertThat(health.statusCode()).as(health.body()).isEqualTo(503);
                    JsonNode outbox = check(health, "accepting-pages");
                    assertThat(outbox.path("status").asText()).isEqualTo("DOWN");
                    assertThat(outbox.toString()).contains("disk");
                });

                // PagerDuty returns while the disk is still full: what was accepted goes out all the same
                sandbox.faults().up();
                await().atMost(Duration.ofSeconds(30)).until(() -> accepted.stream().allMatch(id ->
                        sandbox.incidentByKey("infrasage-" + id).isPresent()));
                assertRefusedForTheDisk(post(bundle, "disk-still-full-" + System.nanoTime()));

                // space returns: the same process accepts again, refused posts are fresh accepts, accepted ones duplicates
                Files.delete(filler);
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() -> {
                    String id = "disk-after-" + System.nanoTime();
                    HttpResponse<String> answer = post(bundle, id);
                    if (answer.statusCode() == 202) {
                        accepted.add(id);
                        return true;
                    }
                    assertRefusedForTheDisk(answer);
                    return false;
                });
                for (String id : refused) {
                    HttpResponse<String> retry = post(bundle, id);
                    assertThat(retry.statusCode()).as(retry.body()).isEqualTo(202);
                    assertThat(JSON.readTree(retry.body()).path("status").asText()).as("retry of refused %s", id).isEqualTo("queued");
                    accepted.add(id);
                }
                HttpResponse<String> repeat = post(bundle, accepted.get(0));
                assertThat(JSON.readTree(repeat.body()).path("status").asText()).as(repeat.body()).isEqualTo("duplicate");
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    HttpResponse<String> health = health(bundle);
                    assertThat(check(health, "accepting-pages").path("status").asText()).as(health.body()).isEqualTo("UP");
                });

                // every page ever answered 2xx goes out, once: those delivered while their completion could not be
                // written are not sent again once it can
                await().atMost(Duration.ofSeconds(60)).until(() -> accepted.stream().allMatch(id ->
                        sandbox.incidentByKey("infrasage-" + id).isPresent()));
                await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    for (String id : accepted) {
                        String key = "infrasage-" + id;
                        assertThat(sandbox.incidentsByKey(key)).as(key).hasSize(1);
                        assertThat(sandbox.events().stream().filter(e -> key.equals(e.dedupKey()) && e.status() == 202))
                                .as("sent once: %s", key).hasSize(1);
                    }
                });
                assertThat(sandbox.events()).as("only anomalies answered 2xx were paged")
                        .allMatch(e -> accepted.contains(e.dedupKey().substring("infrasage-".length())));
            }
            List<String> diskLines = Files.readAllLines(log).stream().filter(l -> l.contains("DependencyState - outbox disk")).toList();
            assertThat(diskLines).as("one loud line when the trouble starts").first().asString()
                    .contains("outbox disk cannot be written (the outbox disk is full");
            assertThat(diskLines).as("and one when it ends").last().asString().contains("outbox disk is writable again");
            assertThat(Files.readString(log)).doesNotContain("unexpected failure").doesNotContain("cannot commit");
        }
    }

    @Test
    void theStoreOnAFullDiskRefusesWholeWritesKeepsReadingAndTakesWritesAgainWithoutBeingReopened() throws Exception {
        Path dir = disk.resolve("store");
        List<String> kept = new CopyOnWriteArrayList<>();
        List<String> refused = new CopyOnWriteArrayList<>();
        try (LocalStore store = new LocalStore(dir)) {
            store.records().accept(paging("store-before"));
            kept.add("store-before");
            Path filler = disk.resolve("store-filler");
            fillUp(filler);

            // writers at once, as the HTTP workers are, so several share a failing commit: each is durable or refused
            ExecutorService writers = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    String id = "store-full-" + i;
                    done.add(writers.submit(() -> {
                        try {
                            store.records().accept(paging(id));
                            kept.add(id);
                        } catch (OutboxDiskException e) {
                            assertThat(e.problem()).isEqualTo("the outbox disk is full");
                            refused.add(id);
                        }
                    }));
                }
                for (Future<?> f : done) {
                    f.get(30, TimeUnit.SECONDS); // anything but a refusal for the disk fails the test here
                }
            } finally {
                writers.shutdownNow();
            }
            assertThat(refused).as("refused for the full disk").isNotEmpty();
            assertThat(store.outbox().unwritable()).contains("the outbox disk is full");
            // after each refusal the dispatcher's reads still work, and see exactly what is durable
            for (int i = 0; i < 5; i++) {
                String id = "store-refused-" + i;
                assertThatThrownBy(() -> store.records().accept(paging(id))).isInstanceOf(OutboxDiskException.class);
                refused.add(id);
                assertThat(store.outbox().dueHeads(STORE_TEAM.routingKey(), Long.MAX_VALUE, 1000)).extracting(e -> e.anomalyId())
                        .containsExactlyInAnyOrderElementsOf(kept);
            }

            Files.delete(filler);
            await().atMost(Duration.ofSeconds(5)).until(() -> store.outbox().unwritable().isEmpty());
            store.records().accept(paging("store-after"));
            kept.add("store-after");
        }
        try (LocalStore reopened = new LocalStore(dir)) {
            assertThat(kept).allSatisfy(id -> assertThat(reopened.records().find(id)).as(id).isPresent());
            assertThat(refused).allSatisfy(id -> assertThat(reopened.records().find(id)).as("refused %s kept nothing", id).isEmpty());
            assertThat(reopened.outbox().depth()).isEqualTo(kept.size());
        }
    }

    private static AcceptRequest paging(String id) {
        return AcceptRequest.paging(new NewAnomaly(id, "infrasage-" + id, "api", List.of(), List.of(STORE_TEAM), "critical"),
                List.of(new NewEvent(STORE_TEAM.routingKey(), STORE_TEAM.team(), "trigger", "{\"summary\":\"" + "x".repeat(500) + "\"}")),
                List.of());
    }

    /** Writes until the file system says it is full. */
    private static void fillUp(Path file) throws IOException {
        byte[] chunk = new byte[4096];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException full) {
            assertThat(full.getMessage()).contains("No space left");
        }
    }

    private static void assertRefusedForTheDisk(HttpResponse<String> answer) throws IOException {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(answer.headers().firstValue("Retry-After")).as("Retry-After").isPresent();
        assertThat(JSON.readTree(answer.body()).toString()).as("names the cause").contains("disk is full");
    }

    private static HttpResponse<String> post(BundleProcess bundle, String id) {
        return bundle.postJson("/api/v1/anomalies", anomaly(id));
    }

    private static String anomaly(String id) {
        return "{\"anomaly_id\":\"" + id + "\",\"service\":\"api\",\"score\":0.9,\"metric\":\"latency_p99\","
                + "\"root_cause\":\"" + "a slow dependency ".repeat(20) + "\"}";
    }

    private static HttpResponse<String> health(BundleProcess bundle) {
        return RunningBundle.send(HttpRequest.newBuilder(URI.create(bundle.managementUrl("/observe/health")))
                .timeout(Duration.ofSeconds(5)).GET().build());
    }

    /** One check of the health body; the body must be JSON. */
    private static JsonNode check(HttpResponse<String> health, String name) throws IOException {
        JsonNode body = JSON.readTree(health.body());
        for (JsonNode c : body.path("checks")) {
            if (name.equals(c.path("name").asText())) {
                return c;
            }
        }
        throw new AssertionError("no check " + name + " in " + health.body());
    }

    private static void fill(Path file, long bytes) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
    }

    private static Map<String, String> env(PagerDutySandbox sandbox) {
        Map<String, String> env = new HashMap<>();
        env.put("CLICKHOUSE_URL", LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase("it_disk_full")));
        env.put("PAGERDUTY_EVENTS_URL", sandbox.eventsUrl());
        env.put("PAGERDUTY_SERVICE_KEY", KEY);
        env.put("PAGERDUTY_WEBHOOK_INSECURE", "true");
        env.put("INFRASAGE_DATA_DIR", disk.resolve("data").toString());
        env.put("PAGERDUTY_RETRY_INITIAL_DELAY", "200ms");
        env.put("PAGERDUTY_RETRY_MAX_DELAY", "1s");
        env.put("PAGERDUTY_RATE_LIMIT_PER_MINUTE", "100000");
        env.put("PAGERDUTY_RATE_LIMIT_BURST", "1000");
        return env;
    }

    /** Runs a command; null when it succeeded, else what it said. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        return p.waitFor() == 0 ? null : "exit " + p.exitValue() + (out.isEmpty() ? "" : ": " + out);
    }
}
