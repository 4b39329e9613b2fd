package io.infrasage.pagerduty.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A load balancer as a Kubernetes Service acts on readiness: it probes each instance every 100 ms with a 1 s timeout, puts
 * it in rotation on one success and takes it out after {@value #FAILURE_THRESHOLD} failures in a row (Kubernetes'
 * defaults, at a shorter period). It keeps every flip and every failed probe's answer, so a test can tell whether an
 * instance left rotation and whether it ever said it was not ready.
 */
public final class ReadinessBalancer implements AutoCloseable {

    /** One instance: where its API is, and where its readiness probe is. */
    public record Instance(String name, Function<String, URI> api, URI readiness) {
    }

    /** An instance seen to change readiness, and when. */
    public record Flip(String instance, boolean ready, long atMillis) {
    }

    /** A probe that failed: the status the instance answered, or 0 with the reason it did not answer in time. */
    public record Failure(String instance, int status, String reason, long atMillis) {
    }

    private static final int FAILURE_THRESHOLD = 3;

    private static final HttpClient PROBE = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final List<Instance> instances = new CopyOnWriteArrayList<>();
    private final Map<String, Boolean> ready = new ConcurrentHashMap<>();
    private final List<Flip> flips = new CopyOnWriteArrayList<>();
    private final List<Failure> failures = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> failuresInARow = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger();
    private final ScheduledExecutorService probes = Executors.newSingleThreadScheduledExecutor();

    public ReadinessBalancer() {
        probes.scheduleWithFixedDelay(this::probeAll, 0, 100, TimeUnit.MILLISECONDS);
    }

    public void add(Instance instance) {
        instances.add(instance);
    }

    public void remove(String name) {
        instances.removeIf(i -> i.name().equals(name));
        ready.remove(name);
        failuresInARow.remove(name);
    }

    private void probeAll() {
        for (Instance i : instances) {
            Failure failure;
            try {
                int status = PROBE.send(HttpRequest.newBuilder(i.readiness()).timeout(Duration.ofSeconds(1)).GET().build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                failure = status == 200 ? null : new Failure(i.name(), status, "answered " + status, System.currentTimeMillis());
            } catch (IOException e) {
                failure = new Failure(i.name(), 0, e.toString(), System.currentTimeMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (failure != null) {
                failures.add(failure);
            }
            int inARow = failure == null ? 0 : failuresInARow.getOrDefault(i.name(), 0) + 1;
            failuresInARow.put(i.name(), inARow);
            Boolean before = ready.get(i.name());
            boolean up = failure == null || (Boolean.TRUE.equals(before) && inARow < FAILURE_THRESHOLD);
            ready.put(i.name(), up);
            if (before == null || before != up) {
                flips.add(new Flip(i.name(), up, System.currentTimeMillis()));
            }
        }
    }

    /** The API URI of the next instance in rotation, or empty when none is ready. */
    public Optional<URI> route(String path) {
        List<Instance> inRotation = instances.stream().filter(i -> Boolean.TRUE.equals(ready.get(i.name()))).toList();
        if (inRotation.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(inRotation.get(Math.floorMod(next.getAndIncrement(), inRotation.size())).api().apply(path));
    }

    /** The instances that were taken out of rotation after they had first been in it. */
    public List<String> everLeftRotation() {
        List<String> wasReady = new ArrayList<>();
        List<String> left = new ArrayList<>();
        for (Flip f : flips) {
            if (f.ready()) {
                wasReady.add(f.instance());
            } else if (wasReady.contains(f.instance()) && !left.contains(f.instance())) {
                left.add(f.instance());
            }
        }
        return left;
    }

    /** The probes that failed while their instance was in rotation or after it had been. */
    public List<Failure> failedProbesAfterReady() {
        return failures.stream()
                .filter(f -> flips.stream().anyMatch(x -> x.instance().equals(f.instance()) && x.ready() && x.atMillis() <= f.atMillis()))
                .toList();
    }

    @Override
    public void close() {
        probes.shutdownNow();
    }
}
