package org.xlstm.samples.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.xlstm.samples.XlstmCli;

/**
 * Runs one {@code xlstm} subcommand in a fresh JVM and collects what it reports with {@link #report}: a
 * measurement taken there owes nothing to what an earlier one left in this process (heap and C-heap state,
 * workspaces, the JIT's profile).
 */
final class ForkedJvm {
    /** Marks a result line on the child's standard output. */
    private static final String RESULT_PREFIX = "forked-jvm-result ";
    /** Marks a line of the child's measurement log, which the parent can echo (ND4J's start-up log is left out). */
    private static final String LOG_PREFIX = "forked-jvm-log ";

    private ForkedJvm() {
    }

    /** Prints one result for the parent, from the child. */
    static void report(String key, Object value) {
        System.out.println(RESULT_PREFIX + key + "=" + value);
        System.out.flush();
    }

    /** Prints one line of the measurement's log for the parent, from the child. */
    static void log(String line) {
        System.out.println(LOG_PREFIX + line);
        System.out.flush();
    }

    /**
     * The JVM options this JVM was started with, so that a child runs under the same heap and flags; a debugger
     * agent is left out (its port is this JVM's).
     */
    static List<String> inheritedOptions() {
        List<String> options = new ArrayList<>();
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!option.startsWith("-agentlib:jdwp")) {
                options.add(option);
            }
        }
        return options;
    }

    /**
     * Runs {@code xlstm cliArgs} in a new JVM with {@code jvmOptions} and this JVM's class path and
     * {@code xlstm.*} system properties; {@code logIndent}, when not null, echoes the lines the child printed with
     * {@link #log} with that prefix as they come. Returns the reported results in order; throws with the child's log when it fails or does
     * not report {@code requiredKey}.
     */
    static Map<String, String> run(List<String> jvmOptions, List<String> cliArgs, String requiredKey,
            String logIndent) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        for (String property : System.getProperties().stringPropertyNames()) {
            if (property.startsWith("xlstm.")) {
                command.add("-D" + property + "=" + System.getProperty(property));
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), XlstmCli.class.getName()));
        command.addAll(cliArgs);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Map<String, String> values = new LinkedHashMap<>();
        StringBuilder log = new StringBuilder();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith(RESULT_PREFIX)) {
                    String[] kv = line.substring(RESULT_PREFIX.length()).split("=", 2);
                    values.put(kv[0], kv[1]);
                } else if (line.startsWith(LOG_PREFIX)) {
                    String text = line.substring(LOG_PREFIX.length());
                    log.append(text).append('\n');
                    if (logIndent != null) {
                        System.out.println(logIndent + text);
                        System.out.flush();
                    }
                } else {
                    log.append(line).append('\n');
                }
            }
        }
        if (!process.waitFor(30, TimeUnit.MINUTES) || process.exitValue() != 0 || !values.containsKey(requiredKey)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.format(Locale.ROOT, "the forked JVM 'xlstm %s' failed (no %s"
                    + " reported):%n%s", String.join(" ", cliArgs), requiredKey, log));
        }
        return values;
    }
}
