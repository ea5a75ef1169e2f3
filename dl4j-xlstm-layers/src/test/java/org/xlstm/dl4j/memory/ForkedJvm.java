package org.xlstm.dl4j.memory;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class of the test classpath in a fresh JVM, so that what it measures of native memory is its
 * own: nothing earlier tests allocated, no workspaces of other threads. Its lines {@code key=value} come back
 * as a map; everything it prints is echoed.
 */
final class ForkedJvm {
    /** A fixed, pre-touched heap, so that resident minus committed heap is the native part. */
    private static final String HEAP = "768m";

    private ForkedJvm() {
    }

    static Map<String, Long> run(Class<?> main, List<String> systemProperties, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + HEAP);
        command.add("-Xms" + HEAP);
        command.add("-XX:+AlwaysPreTouch");
        command.addAll(systemProperties);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Map<String, Long> values = new HashMap<>();
        StringBuilder log = new StringBuilder();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                System.out.println("[" + main.getSimpleName() + "] " + line);
                log.append(line).append('\n');
                if (line.matches("[a-zA-Z0-9_.]+=-?[0-9]+")) {
                    String[] kv = line.split("=");
                    values.put(kv[0], Long.parseLong(kv[1]));
                }
            }
        }
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException(main.getSimpleName() + " did not finish in 10 minutes");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(main.getSimpleName() + " exited with " + process.exitValue() + ":\n" + log);
        }
        return values;
    }
}
