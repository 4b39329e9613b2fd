package io.infrasage.pagerduty.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The benchmark's output: markdown lines printed as they are measured (so a long run shows progress) and written to
 * a file at the end. Every figure carries the machine's load average at the moment it was taken.
 */
public final class Report {

    private final List<String> lines = new ArrayList<>();
    private final List<String[]> goals = new ArrayList<>();
    private final Path file;

    public Report(Path file) {
        this.file = file;
    }

    public void title(String text) {
        add("# " + text);
        add("");
        add("Run " + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + " on "
                + Machine.describe());
        add("");
    }

    public void section(String text) {
        add("");
        add("## " + text);
        add("");
    }

    public void subsection(String text) {
        add("");
        add("### " + text);
        add("");
    }

    public void note(String text) {
        add(text);
    }

    /** "- name: value (load ...)". */
    public void figure(String name, String value) {
        add("- " + name + ": " + value + " (" + Machine.load() + ")");
    }

    /** A line of the goals table: what, goal, measured, met or not. */
    public void goal(String what, String goal, String measured, boolean met) {
        goals.add(new String[] {what, goal, measured, met ? "met" : "NOT met"});
    }

    public void progress(String text) {
        System.out.println("   .. " + text + " (" + Machine.load() + ")");
        System.out.flush();
    }

    private void add(String line) {
        lines.add(line);
        System.out.println(line);
        System.out.flush();
    }

    public void write() {
        List<String> out = new ArrayList<>(lines);
        if (!goals.isEmpty()) {
            out.add("");
            out.add("## Goals");
            out.add("");
            out.add("| what | goal | measured | |");
            out.add("|---|---|---|---|");
            for (String[] g : goals) {
                out.add("| " + String.join(" | ", g) + " |");
            }
            System.out.println();
            out.subList(out.size() - goals.size() - 4, out.size()).forEach(System.out::println);
        }
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, out);
            System.out.println();
            System.out.println("report written to " + file);
        } catch (IOException e) {
            System.err.println("could not write " + file + ": " + e.getMessage());
        }
    }
}
