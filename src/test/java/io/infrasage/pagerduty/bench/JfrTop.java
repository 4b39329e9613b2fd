package io.infrasage.pagerduty.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a JVM's CPU went, from {@code jdk.ExecutionSample} events: of a JFR recording (Java threads caught running in
 * Java code; native code and the JVM's own threads are not sampled), or of async-profiler's JFR output (every thread's
 * CPU, native frames included): self time by method (the top frame), self time rolled up by package,
 * rolled up by the package of the nearest frame outside the JDK (so time spent in {@code java.util} or
 * {@code sun.nio} is charged to the library that called it), and by thread. Markdown, for the benchmark's report and for
 * {@code scripts/jfr-top.sh f.jfr [g.jfr ...]}, which sums the recordings given.
 */
public final class JfrTop {

    private static final String SAMPLE = "jdk.ExecutionSample";
    /** Package segments kept in a roll-up: org.apache.camel, com.fasterxml.jackson, io.infrasage.pagerduty. */
    private static final int PACKAGE_DEPTH = 3;

    private final Map<String, Integer> byMethod = new HashMap<>();
    private final Map<String, Integer> byPackage = new HashMap<>();
    private final Map<String, Integer> byCaller = new HashMap<>();
    private final Map<String, Integer> byThread = new HashMap<>();
    private int samples;

    private JfrTop() {
    }

    public static JfrTop of(List<Path> recordings) throws IOException {
        JfrTop top = new JfrTop();
        for (Path file : recordings) {
            try (RecordingFile in = new RecordingFile(file)) {
                while (in.hasMoreEvents()) {
                    RecordedEvent e = in.readEvent();
                    if (SAMPLE.equals(e.getEventType().getName())) {
                        top.add(e.getStackTrace(), e.getThread("sampledThread"));
                    }
                }
            }
        }
        return top;
    }

    private void add(RecordedStackTrace stack, RecordedThread thread) {
        if (stack == null || stack.getFrames().isEmpty()) {
            return;
        }
        samples++;
        // pools' threads as one ("vert.x-worker-thread-"), but C1 and C2 compiler threads apart
        String threadName = thread == null ? "(unknown)" : thread.getJavaName() != null ? thread.getJavaName()
                : thread.getOSName() != null ? thread.getOSName() + " (JVM)" : "(unknown)";
        byThread.merge(threadName.replaceAll("(?<=[-#_ (])[0-9]+|[0-9]+$", ""), 1, Integer::sum);
        List<RecordedFrame> frames = stack.getFrames();
        RecordedFrame top = frames.get(0);
        String type = top.getMethod().getType().getName();
        if (isNative(top)) {
            byMethod.merge("[" + top.getType() + "] " + (type.isEmpty() ? "" : type + " ") + nativeName(top.getMethod().getName()),
                    1, Integer::sum);
            byPackage.merge("(" + top.getType() + (type.isEmpty() ? "" : " " + type) + ")", 1, Integer::sum);
        } else {
            byMethod.merge(type + "." + top.getMethod().getName(), 1, Integer::sum);
            byPackage.merge(packageOf(type), 1, Integer::sum);
        }
        String caller = "(JDK and native code only: JVM threads, GC, JIT)";
        for (RecordedFrame f : frames) {
            String t = f.getMethod().getType().getName();
            if (!isNative(f) && !isJdk(t)) {
                caller = packageOf(t);
                break;
            }
        }
        byCaller.merge(caller, 1, Integer::sum);
    }

    /**
     * A native frame's name; an unresolved one is its library's path, whose unpacked copies (SQLite's driver unpacks
     * itself to /tmp/sqlite-&lt;version&gt;-&lt;uuid&gt;-libsqlitejdbc.so) differ per process: the file name without the uuid.
     */
    private static String nativeName(String name) {
        String file = name.substring(name.lastIndexOf('/') + 1);
        return file.replaceAll("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-", "");
    }

    /**
     * A frame outside Java code: async-profiler's recordings have them ("Native", "C++", "Kernel"; the type is the
     * library, or empty), JFR's own do not.
     */
    private static boolean isNative(RecordedFrame f) {
        String kind = f.getType();
        return "Native".equals(kind) || "C++".equals(kind) || "Kernel".equals(kind);
    }

    private static boolean isJdk(String type) {
        return type.startsWith("java.") || type.startsWith("javax.") || type.startsWith("jdk.") || type.startsWith("sun.")
                || type.startsWith("com.sun.");
    }

    private static String packageOf(String type) {
        String[] parts = type.split("\\.");
        int keep = Math.min(PACKAGE_DEPTH, parts.length - 1);
        return keep <= 0 ? "(default package)" : String.join(".", java.util.Arrays.copyOf(parts, keep));
    }

    public int samples() {
        return samples;
    }

    /** Markdown: four tables (top {@code methods} methods, top {@code packages} of each roll-up). */
    public List<String> markdown(int methods, int packages) {
        List<String> out = new ArrayList<>();
        if (samples == 0) {
            out.add("No execution samples.");
            return out;
        }
        table(out, "self time by method", byMethod, methods);
        table(out, "self time by package", byPackage, packages);
        table(out, "by the nearest non-JDK frame's package (JDK code charged to its caller)", byCaller, packages);
        table(out, "by thread (numbers dropped: a pool's threads together)", byThread, packages);
        return out;
    }

    private void table(List<String> out, String title, Map<String, Integer> counts, int limit) {
        out.add("");
        out.add("| " + title + " | samples | share |");
        out.add("|---|---:|---:|");
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(limit)
                .forEach(e -> out.add(Stats.f("| `%s` | %d | %.1f%% |", e.getKey(), e.getValue(), 100.0 * e.getValue() / samples)));
    }

    /** {@code JfrTop [--top N] f.jfr [g.jfr ...]}: the summed recordings' tables on stdout. */
    public static void main(String[] args) throws IOException {
        int top = 25;
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if ("--top".equals(args[i]) && i + 1 < args.length) {
                top = Integer.parseInt(args[++i]);
            } else {
                files.add(Path.of(args[i]));
            }
        }
        if (files.isEmpty()) {
            System.err.println("usage: JfrTop [--top N] recording.jfr [more.jfr ...]");
            System.exit(2);
        }
        JfrTop summary = of(files);
        System.out.println(summary.samples() + " execution samples.");
        summary.markdown(top, 15).forEach(System.out::println);
    }
}
