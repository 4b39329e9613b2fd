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

/** The README is the operator's guide: every setting the bundle has is documented there. */
class DocumentationTest {

    private final Path root = LocalClickHouse.projectRoot();

    private String readme() throws IOException {
        return Files.readString(root.resolve("README.md"));
    }

    @Test
    void everyPropertyOfApplicationPropertiesIsInTheReadme() throws IOException {
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(root.resolve("application.properties"))) {
            props.load(r);
        }
        assertThat(props).isNotEmpty();
        String readme = readme();
        List<String> undocumented = props.stringPropertyNames().stream().filter(k -> !readme.contains("`" + k + "`")).sorted().toList();
        assertThat(undocumented).as("properties missing from README.md").isEmpty();
    }

    @Test
    void everySettingsEnvironmentVariableIsInTheReadmeTableWithItsProperty() throws IOException {
        String readme = readme();
        for (Setting s : BundleSettings.ALL) {
            assertThat(readme).as(s.env()).containsPattern("\\| `" + s.env() + "` \\| `" + s.property().replace(".", "\\.") + "` \\|");
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
