package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.infrasage.pagerduty.config.BundleSettings;
import io.infrasage.pagerduty.config.Setting;
import io.infrasage.pagerduty.testing.LocalClickHouse;
import org.junit.jupiter.api.Test;

/**
 * The README is the front door and docs/configuration.md the operator's reference: every setting the bundle has is
 * documented there, the README stays short, and no link of the docs leads nowhere.
 */
class DocumentationTest {

    /** The README's budget: what a new user reads before the first command. */
    static final long README_MAX_BYTES = 15_000;
    /** A Markdown link or image: [text](target) or ![alt](target); the target ends at a space, a quote or ')'. */
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s\"]+)[^)]*\\)");

    /** Marks the settings table of docs/configuration.md that BundleSettings' declarations render. */
    private static final String GENERATED =
            "<!-- generated from the declarations in BundleSettings: mvn test -Dtest=DocumentationTest -Ddocs.update=true -->";

    private final Path root = LocalClickHouse.projectRoot();

    private String configurationDoc() throws IOException {
        return Files.readString(root.resolve("docs/configuration.md"));
    }

    private Properties applicationProperties() throws IOException {
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(root.resolve("application.properties"))) {
            props.load(r);
        }
        return props;
    }

    @Test
    void everyPropertyOfApplicationPropertiesIsInTheConfigurationDoc() throws IOException {
        Properties props = applicationProperties();
        assertThat(props).isNotEmpty();
        String doc = configurationDoc();
        List<String> undocumented = props.stringPropertyNames().stream().filter(k -> !doc.contains("`" + k + "`")).sorted().toList();
        assertThat(undocumented).as("properties missing from docs/configuration.md").isEmpty();
    }

    /**
     * The table after GENERATED is rendered from BundleSettings' declarations, row for row; run this test with
     * -Ddocs.update=true to rewrite it after a setting changes.
     */
    @Test
    void theSettingsTableIsRenderedFromTheDeclarations() throws IOException {
        String doc = configurationDoc();
        int start = doc.indexOf(GENERATED);
        assertThat(start).as("docs/configuration.md holds the marker " + GENERATED).isNotNegative();
        int from = start + GENERATED.length() + 1;
        Matcher table = Pattern.compile("(\\|.*\n)+").matcher(doc);
        String current = table.find(from) && table.start() == from ? table.group() : "";
        StringBuilder expected = new StringBuilder("| Environment variable | Property | Default | Meaning |\n|---|---|---|---|\n");
        for (Setting<?> s : BundleSettings.ALL) {
            String def = s.defaultValue().isEmpty() ? "empty" : "`" + s.defaultValue() + "`";
            expected.append("| `").append(s.env()).append("` | `").append(s.property()).append("` | ").append(def)
                    .append(" | ").append(s.doc()).append(" |\n");
        }
        if (Boolean.getBoolean("docs.update")) {
            String updated = doc.substring(0, from) + expected + doc.substring(from + current.length());
            Files.writeString(root.resolve("docs/configuration.md"), updated);
            return;
        }
        assertThat(current).as("settings table of docs/configuration.md (-Ddocs.update=true rewrites it)").isEqualTo(expected.toString());
    }

    @Test
    void applicationPropertiesRepeatsNoBundleSetting() throws IOException {
        assertThat(BundleSettings.ALL).extracting(Setting::property).doesNotContainAnyElementsOf(applicationProperties().stringPropertyNames());
    }

    @Test
    void theReadmeStaysAFrontDoorOfAtMost15KB() throws IOException {
        assertThat(Files.size(root.resolve("README.md"))).as("README.md bytes; move reference into docs/").isLessThanOrEqualTo(README_MAX_BYTES);
    }

    @Test
    void everyRelativeLinkOfTheReadmeAndTheDocsLeadsToAFileThatExists() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        List<String> broken = new ArrayList<>();
        int relative = 0;
        for (Path page : pages) {
            Matcher m = LINK.matcher(Files.readString(page));
            while (m.find()) {
                String target = m.group(1);
                if (target.startsWith("#") || target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
                    continue; // an anchor of the same page, or an absolute URL (https:, mailto:)
                }
                relative++;
                String file = target.replaceFirst("#.*$", "");
                if (!Files.exists(page.getParent().resolve(file).normalize())) {
                    broken.add(root.relativize(page) + " -> " + target);
                }
            }
        }
        assertThat(relative).as("relative links found").isPositive();
        assertThat(broken).as("relative links to files that do not exist").isEmpty();
    }
}
