package io.infrasage.pagerduty.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the figures were measured on, and how busy the machine was at the time. */
public final class Machine {

    private Machine() {
    }

    /** The 1, 5 and 15 minute load averages, e.g. "load 1.52 1.30 1.01". */
    public static String load() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return "load " + parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "load n/a";
        }
    }

    public static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    public static String memory() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/meminfo"));
            return lines.stream().filter(l -> l.startsWith("MemTotal")).findFirst()
                    .map(l -> Stats.f("%.1f GiB", Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0)).orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    public static int cpus() {
        return Runtime.getRuntime().availableProcessors();
    }

    public static String describe() {
        return cpus() + " CPUs (" + cpuModel() + "), " + memory() + " RAM, Java " + System.getProperty("java.version")
                + ", " + load();
    }
}
