package io.infrasage.pagerduty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

/**
 * What the drop-in tests share: a host JVM's classpath made of the bundle's thin jar and the jars the build listed
 * (target/drop-in/*.classpath), never target/classes or ./routes; and a host's own jar, its classes and its own
 * application.properties, nothing of the bundle.
 */
final class DropInHosts {

    private DropInHosts() {
    }

    /**
     * The thin jar first: were it to ship an application.properties at its root, the host would read that one instead
     * of its own, and would never come up on its own ports.
     */
    static List<String> bundleClasspath() throws IOException {
        Path bundleJar = Path.of(System.getProperty("bundle.jar", "target/infrasage-pagerduty-1.0.0-SNAPSHOT.jar")).toAbsolutePath();
        assertThat(bundleJar).as("the thin jar; run `mvn package` (or verify) first").isRegularFile();
        try (JarFile jar = new JarFile(bundleJar.toFile())) {
            assertThat(jar.stream().map(ZipEntry::getName).filter(n -> n.startsWith("routes/") && n.endsWith(".camel.yaml")))
                    .as("route files inside the thin jar").hasSizeGreaterThanOrEqualTo(5);
        }
        List<String> classpath = new ArrayList<>();
        classpath.add(bundleJar.toString());
        classpath.addAll(listedJars("bundle.runtime.classpath", "target/drop-in/runtime.classpath"));
        return classpath;
    }

    /** The jars a build-classpath file lists (maven-dependency-plugin, written by `mvn package`). */
    static List<String> listedJars(String property, String fallback) throws IOException {
        Path file = Path.of(System.getProperty(property, fallback)).toAbsolutePath();
        assertThat(file).as("a classpath file written by the build (maven-dependency-plugin)").isRegularFile();
        List<String> jars = Stream.of(Files.readString(file).strip().split(File.pathSeparator)).filter(s -> !s.isBlank()).toList();
        assertThat(jars).as("only jars from the repository, never the project's own classes or routes")
                .allMatch(d -> d.endsWith(".jar")).noneMatch(d -> d.contains("target" + File.separator + "classes"));
        return jars;
    }

    /** The host's own jar: the classes of hostClass's package and the given resource as its application.properties. */
    static Path hostJar(Class<?> hostClass, String properties, Path target) throws Exception {
        Path classes = Path.of(hostClass.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path hostPackage = classes.resolve(hostClass.getPackageName().replace('.', File.separatorChar));
        try (OutputStream out = Files.newOutputStream(target); JarOutputStream jar = new JarOutputStream(out);
             Stream<Path> files = Files.walk(hostPackage)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                jar.putNextEntry(new ZipEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, jar);
                jar.closeEntry();
            }
            jar.putNextEntry(new ZipEntry("application.properties"));
            try (InputStream in = hostClass.getResourceAsStream(properties)) {
                in.transferTo(jar);
            }
            jar.closeEntry();
        }
        return target;
    }

    static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
