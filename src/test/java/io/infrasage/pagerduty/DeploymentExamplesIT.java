package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.infrasage.pagerduty.config.BundleSettings;
import io.infrasage.pagerduty.config.Setting;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import io.infrasage.pagerduty.testing.RunningBundle;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** The Kubernetes and systemd examples of docs/deployment.md hold for the bundle as it is. */
class DeploymentExamplesIT {

    private static final Path ROOT = LocalClickHouse.projectRoot();
    /** Variables of the examples that are the JVM's or glibc's, not the bundle's. */
    private static final Set<String> NOT_SETTINGS = Set.of("MALLOC_ARENA_MAX");

    private static String doc;
    private static Map<String, Map<String, Object>> kubernetes;
    private static List<String> unit;

    @BeforeAll
    static void readTheExamples() throws IOException {
        doc = Files.readString(ROOT.resolve("docs/deployment.md"));
        kubernetes = new HashMap<>();
        for (Object o : new Load(LoadSettings.builder().build()).loadAllFromString(block("yaml"))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> resource = (Map<String, Object>) o;
            kubernetes.put((String) resource.get("kind"), resource);
        }
        unit = block("ini").lines().map(String::strip).toList();
    }

    private static String block(String language) {
        Matcher m = Pattern.compile("```" + language + "\n(.*?)```", Pattern.DOTALL).matcher(doc);
        assertThat(m.find()).as("a ```" + language + " block in docs/deployment.md").isTrue();
        return m.group(1);
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(Object node, String... path) {
        Object n = node;
        for (String p : path) {
            n = n instanceof List<?> list ? list.get(Integer.parseInt(p)) : ((Map<String, Object>) n).get(p);
            assertThat(n).as(String.join(".", path)).isNotNull();
        }
        return (T) n;
    }

    private static Map<String, Object> container() {
        return at(kubernetes.get("Deployment"), "spec", "template", "spec", "containers", "0");
    }

    private static Map<String, String> containerEnv() {
        List<Map<String, Object>> env = at(container(), "env");
        return env.stream().collect(Collectors.toMap(e -> (String) e.get("name"), e -> String.valueOf(e.get("value"))));
    }

    private static Map<String, String> unitEnv() {
        Map<String, String> env = new HashMap<>();
        unit.stream().filter(l -> l.startsWith("Environment=")).map(l -> l.substring("Environment=".length()))
                .forEach(kv -> env.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1)));
        return env;
    }

    private static String unitValue(String key) {
        return unit.stream().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1)).findFirst()
                .orElseThrow(() -> new AssertionError("the systemd unit has no " + key));
    }

    /** The default of a setting in application.properties ({{env:NAME:default}}). */
    private static String propertyDefault(String property) throws IOException {
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(ROOT.resolve("application.properties"))) {
            props.load(r);
        }
        Matcher m = Pattern.compile("\\{\\{env:[A-Z_]+:(.*)}}").matcher(props.getProperty(property));
        assertThat(m.matches()).as(property).isTrue();
        return m.group(1);
    }

    /** Settings as the bundle reads them from these variables (required ones filled in), failing on any it refuses. */
    private static BundleSettings settingsFrom(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.put("PAGERDUTY_SERVICE_KEY", "k".repeat(32));
        all.put("PAGERDUTY_WEBHOOK_SECRETS", "secret");
        all.put("INFRASAGE_API_TOKEN", "token");
        all.putIfAbsent("KAFKA_BOOTSTRAP_SERVERS", "");
        return BundleSettings.load(name -> Optional.empty(), all::get);
    }

    @Test
    void theProbesPathsAnswerJsonOnTheManagementPortOfARunningBundle() throws Exception {
        Map<String, Object> c = container();
        List<String> paths = new ArrayList<>();
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertThat((Object) at(c, probe, "httpGet", "port")).isEqualTo("management");
            paths.add(at(c, probe, "httpGet", "path"));
        }
        assertThat(paths).containsExactly("/observe/health/live", "/observe/health/live", "/observe/health/ready");
        Map<String, String> settings = RunningBundle.baseSettings(LocalClickHouse.shared().jdbcUrl(LocalClickHouse.uniqueDatabase("it_deploy")));
        settings.put("pagerduty.service-key", "d".repeat(32));
        try (RunningBundle bundle = RunningBundle.start(settings)) {
            for (String path : paths) {
                HttpResponse<String> r = RunningBundle.send(HttpRequest.newBuilder(bundle.managementUrl(path))
                        .timeout(Duration.ofSeconds(5)).GET().build());
                assertThat(r.statusCode()).as(path).isEqualTo(200);
                assertThat(new ObjectMapper().readTree(r.body()).path("status").asText()).as(path).isEqualTo("UP");
            }
        }
    }

    @Test
    void thePortsAreTheBundlesDefaults() throws IOException {
        List<Map<String, Object>> ports = at(container(), "ports");
        Map<String, String> byName = ports.stream().collect(Collectors.toMap(p -> (String) p.get("name"), p -> String.valueOf(p.get("containerPort"))));
        assertThat(byName).containsEntry("api", propertyDefault("camel.server.port"))
                .containsEntry("management", propertyDefault("camel.management.port"));
        assertThat(String.valueOf((Object) at(kubernetes.get("Service"), "spec", "ports", "0", "port"))).isEqualTo(byName.get("api"));
    }

    @Test
    void everyVariableOfTheExamplesIsABundleSettingTheBundleAccepts() {
        Set<String> known = BundleSettings.ALL.stream().map(Setting::env).collect(Collectors.toSet());
        for (Map<String, String> env : List.of(containerEnv(), unitEnv())) {
            Map<String, String> settings = new HashMap<>(env);
            settings.keySet().removeAll(NOT_SETTINGS);
            assertThat(known).as("settings the bundle has").containsAll(settings.keySet());
            settingsFrom(settings);
        }
    }

    @Test
    void theGracePeriodsCoverTheWholeStop() {
        BundleSettings k8s = settingsFrom(containerEnv());
        int preStop = at(container(), "lifecycle", "preStop", "sleep", "seconds");
        int grace = at(kubernetes.get("Deployment"), "spec", "template", "spec", "terminationGracePeriodSeconds");
        assertThat((long) grace).as("terminationGracePeriodSeconds").isGreaterThanOrEqualTo(preStop + k8s.shutdownTimeout.toSeconds() + 5);
        assertThat((Object) at(kubernetes.get("PodDisruptionBudget"), "spec", "maxUnavailable")).isEqualTo(1);

        BundleSettings systemd = settingsFrom(unitEnv());
        assertThat(unitValue("KillSignal")).isEqualTo("SIGTERM");
        assertThat(Long.parseLong(unitValue("TimeoutStopSec").replace("s", "")))
                .as("TimeoutStopSec, above the stop's bound and its watchdog's 5 s").isGreaterThanOrEqualTo(systemd.shutdownTimeout.toSeconds() + 5);
        assertThat(unitValue("ExecStart")).contains("-jar ").endsWith("-app.jar");
        assertThat(unitEnv().get("INFRASAGE_DATA_DIR")).as("the outbox on systemd's state directory")
                .isEqualTo("/var/lib/" + unitValue("StateDirectory"));
    }
}
