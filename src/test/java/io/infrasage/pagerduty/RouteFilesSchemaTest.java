package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ops-editable route files are checked against the Camel YAML DSL's own JSON schema (schema/camelYamlDsl.json in
 * camel-yaml-dsl-4.18.0.jar) on every build, so a typo fails `mvn test` naming the file and the key instead of
 * failing a deployment at start-up.
 */
class RouteFilesSchemaTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static JsonSchema schema;

    @BeforeAll
    static void loadCamelsSchema() throws IOException {
        try (InputStream in = org.apache.camel.dsl.yaml.YamlRoutesBuilderLoader.class.getClassLoader()
                .getResourceAsStream("schema/camelYamlDsl.json")) {
            assertThat(in).as("schema/camelYamlDsl.json inside camel-yaml-dsl").isNotNull();
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(in);
        }
    }

    /** Every problem the schema finds in one route file, each prefixed with the file name; empty when it is valid. */
    static List<String> problems(Path file) throws IOException {
        JsonNode routes;
        try {
            routes = YAML.readTree(file.toFile());
        } catch (IOException e) {
            return List.of(file.getFileName() + ": not YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        Set<String> problems = new LinkedHashSet<>();
        for (ValidationMessage m : schema.validate(routes)) {
            problems.add(file.getFileName() + ": " + m.getMessage());
        }
        return new ArrayList<>(problems);
    }

    static List<Path> routeFiles() throws IOException {
        try (Stream<Path> files = Files.list(LocalClickHouse.projectRoot().resolve("routes"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).sorted().toList();
        }
    }

    @Test
    void everyRouteFileIsValidAgainstTheCamelYamlDslSchema() throws IOException {
        List<Path> files = routeFiles();
        assertThat(files).extracting(f -> f.getFileName().toString()).contains("anomaly-inbound.camel.yaml",
                "pagerduty-webhook.camel.yaml", "pagerduty-delivery.camel.yaml", "pagerduty-api.camel.yaml", "error-handling.camel.yaml");
        Map<String, List<String>> byFile = new TreeMap<>();
        for (Path f : files) {
            List<String> p = problems(f);
            if (!p.isEmpty()) {
                byFile.put(f.getFileName().toString(), p);
            }
        }
        assertThat(byFile).as("route files that do not match Camel's YAML DSL schema").isEmpty();
    }

    @Test
    void aMisspelledKeyInARouteFileIsReportedWithTheFileAndTheKey(@TempDir Path dir) throws IOException {
        Path original = LocalClickHouse.projectRoot().resolve("routes/anomaly-inbound.camel.yaml");
        String yaml = Files.readString(original);
        assertThat(problems(original)).isEmpty();

        Path stepz = dir.resolve("anomaly-inbound.camel.yaml");
        Files.writeString(stepz, yaml.replaceFirst("      steps:", "      stepz:"));
        assertThat(problems(stepz)).isNotEmpty().allMatch(p -> p.startsWith("anomaly-inbound.camel.yaml: "))
                .anyMatch(p -> p.contains("stepz"));
    }

    @Test
    void anUnknownProcessorInARouteFileIsReported(@TempDir Path dir) throws IOException {
        Path original = LocalClickHouse.projectRoot().resolve("routes/pagerduty-webhook.camel.yaml");
        Path broken = dir.resolve("pagerduty-webhook.camel.yaml");
        // "beann" is no EIP: the first step of the webhook route becomes unknown
        Files.writeString(broken, Files.readString(original).replaceFirst("- bean:", "- beann:"));
        assertThat(problems(broken)).isNotEmpty().anyMatch(p -> p.contains("beann"));
    }

    @Test
    void aRouteFileThatIsNotEvenYamlIsReported(@TempDir Path dir) throws IOException {
        Path broken = dir.resolve("broken.camel.yaml");
        Files.writeString(broken, "- route:\n    from: [unclosed\n");
        assertThat(problems(broken)).singleElement().asString().startsWith("broken.camel.yaml: not YAML");
    }
}
