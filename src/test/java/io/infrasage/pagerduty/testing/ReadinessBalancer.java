package io.infrasage.pagerduty.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
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
 * A load balancer as a Kubernetes Service acts: it reads each instance's readiness every 100 ms and sends a request only
 * to an instance that last answered ready. It keeps every readiness flip, so a test can tell whether an instance ever
 * left rotation.
 */
public final class ReadinessBalancer implements AutoCloseable {

    /** One instance: where its API is, and where its readiness probe is. */
    public record Instance(String name, Function<String, URI> api, URI readiness) {
    }

    /** An instance seen to change readiness, and when. */
    public record Flip(String instance, boolean ready, long atMillis) {
    }

    private static final HttpClient PROBE = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final List<Instance> instances = new CopyOnWriteArrayList<>();
    private final Map<String, Boolean> ready = new ConcurrentHashMap<>();
    private final List<Flip> flips = new CopyOnWriteArrayList<>();
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
    }

    private void probeAll() {
        for (Instance i : instances) {
            boolean up;
            try {
                up = PROBE.send(HttpRequest.newBuilder(i.readiness()).timeout(Duration.ofSeconds(1)).GET().build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                up = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            Boolean before = ready.put(i.name(), up);
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

    /** The instances that were ever seen unready after they had first been ready. */
    public List<String> everLeftRotation() {
        List<String> wasReady = new java.util.ArrayList<>();
        List<String> left = new java.util.ArrayList<>();
        for (Flip f : flips) {
            if (f.ready()) {
                wasReady.add(f.instance());
            } else if (wasReady.contains(f.instance()) && !left.contains(f.instance())) {
                left.add(f.instance());
            }
        }
        return left;
    }

    @Override
    public void close() {
        probes.shutdownNow();
    }
}
