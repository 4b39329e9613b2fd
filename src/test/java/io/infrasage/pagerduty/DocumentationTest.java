package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import io.infrasage.pagerduty.config.BundleSettings;
import io.infrasage.pagerduty.config.Setting;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is the operator's reference: every setting the bundle has is documented there. */
class DocumentationTest {

    private final Path root = LocalClickHouse.projectRoot();

    private String configurationDoc() throws IOException {
        return Files.readString(root.resolve("docs/configuration.md"));
    }

    @Test
    void everyPropertyOfApplicationPropertiesIsInTheConfigurationDoc() throws IOException {
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(root.resolve("application.properties"))) {
            props.load(r);
        }
        assertThat(props).isNotEmpty();
        String doc = configurationDoc();
        List<String> undocumented = props.stringPropertyNames().stream().filter(k -> !doc.contains("`" + k + "`")).sorted().toList();
        assertThat(undocumented).as("properties missing from docs/configuration.md").isEmpty();
    }

    @Test
    void everySettingsEnvironmentVariableIsInTheConfigurationTableWithItsProperty() throws IOException {
        String doc = configurationDoc();
        for (Setting s : BundleSettings.ALL) {
            assertThat(doc).as(s.env()).containsPattern("\\| `" + s.env() + "` \\| `" + s.property().replace(".", "\\.") + "` \\|");
        }
    }

    @Test
    void everyBundleSettingIsInApplicationProperties() throws IOException {
        String props = Files.readString(root.resolve("application.properties"));
        for (Setting s : BundleSettings.ALL) {
            assertThat(props).as(s.property()).contains(s.property() + " = {{env:" + s.env() + ":");
        }
    }
}
