package io.infrasage.pagerduty.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The bundle in a JVM of its own, configured by environment variables like an operator's, so a test can kill -9 it. */
public final class BundleProcess implements AutoCloseable {

    private final Process process;
    private final int port;
    private final int managementPort;
    private final String apiToken;

    private BundleProcess(Process process, int port, int managementPort, String apiToken) {
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.apiToken = apiToken;
    }

    public static BundleProcess start(Map<String, String> env, Path log) {
        return start(env, Map.of(), log);
    }

    /** Returns once the routes answer, even while readiness is DOWN (e.g. ClickHouse unreachable on purpose). */
    public static BundleProcess startUnready(Map<String, String> env, Path log) {
        return start(env, Map.of(), java.util.Set.of(), log, false);
    }

    /** @param properties settings given as literal properties (-Dname=value), as an operator may also do */
    public static BundleProcess start(Map<String, String> env, Map<String, String> properties, Path log) {
        return start(env, properties, java.util.Set.of(), log);
    }

    /**
     * @param unset environment variables of this JVM the bundle's JVM must not inherit (LANG, LC_ALL...)
     * When env sets neither INFRASAGE_API_TOKEN nor INFRASAGE_API_INSECURE, the bundle gets RunningBundle.API_TOKEN and
     * postJson sends it; a test that sets its own token sends it itself (send).
     */
    public static BundleProcess start(Map<String, String> env, Map<String, String> properties, java.util.Set<String> unset,
                                      Path log) {
        return start(env, properties, unset, log, true);
    }

    private static BundleProcess start(Map<String, String> env, Map<String, String> properties, java.util.Set<String> unset,
                                       Path log, boolean ready) {
        int port = env.containsKey("CAMEL_SERVER_PORT") ? Integer.parseInt(env.get("CAMEL_SERVER_PORT")) : FreePorts.next();
        int managementPort = env.containsKey("CAMEL_MANAGEMENT_PORT") ? Integer.parseInt(env.get("CAMEL_MANAGEMENT_PORT"))
                : FreePorts.next();
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path")));
        properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("io.infrasage.pagerduty.Application");
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(LocalClickHouse.projectRoot().toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().keySet().removeAll(unset);
        pb.environment().putAll(env);
        String harnessToken = null;
        if (!env.containsKey("INFRASAGE_API_TOKEN") && !env.containsKey("INFRASAGE_API_INSECURE")) {
            harnessToken = RunningBundle.API_TOKEN;
            pb.environment().put("INFRASAGE_API_TOKEN", harnessToken);
        }
        pb.environment().put("CAMEL_SERVER_PORT", Integer.toString(port));
        pb.environment().put("CAMEL_SERVER_HOST", "127.0.0.1");
        pb.environment().put("CAMEL_MANAGEMENT_PORT", Integer.toString(managementPort));
        pb.environment().put("CAMEL_MANAGEMENT_HOST", "127.0.0.1");
        try {
            BundleProcess bundle = new BundleProcess(pb.start(), port, managementPort, harnessToken);
            long deadline = System.currentTimeMillis() + 60_000;
            while (ready ? !bundle.answers() : !bundle.routesAnswer()) {
                if (!bundle.process.isAlive() || System.currentTimeMillis() > deadline) {
                    String why = bundle.process.isAlive() ? "was not ready within 60 s" : "exited with " + bundle.process.exitValue();
                    bundle.kill();
                    throw new IllegalStateException("bundle process did not start: it " + why + "; " + LogTail.of(log, 30));
                }
                Thread.sleep(100);
            }
            return bundle;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The API port answers (any status): the routes have started. */
    private boolean routesAnswer() {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            return RunningBundle.send(HttpRequest.newBuilder(URI.create(url("/api/v1/pagerduty/webhook")))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build()).statusCode() != 404;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public String managementUrl(String path) {
        return "http://127.0.0.1:" + managementPort + path;
    }

    private boolean answers() {
        return RunningBundle.healthy(managementPort); // UP: routes started (the management port answers earlier)
    }

    /** POSTs JSON with the harness's API token, when the harness chose the token (see start). */
    public HttpResponse<String> postJson(String path, String json) {
        return send(path, json, apiToken == null ? null : "Bearer " + apiToken);
    }

    /** POSTs JSON, with an Authorization header when one is given. */
    public HttpResponse<String> send(String path, String json, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url(path))).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return RunningBundle.send(request.build());
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** SIGKILL: no shutdown hook, no flush, like a crashed host. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        kill();
    }
}
