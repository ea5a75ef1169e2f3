package org.xlstm.samples;

import java.lang.management.ManagementFactory;

import javax.management.JMException;
import javax.management.ObjectName;

/**
 * Whether HotSpot's JIT compilers are compiling, read through the JVM's diagnostic command MBean
 * ({@code jcmd <pid> Compiler.queue} in-process).
 *
 * <p>Why the soak needs it: a C2 compilation works in arenas the JVM mallocs for it, and on the loaded 2-core machine
 * C2 was still compiling the step path (ND4J's op executioner, the step kernels) after 10,000 and after 100,000
 * steps. A memory reading taken while one of these compilations ran held 8-15 MB more C heap than one taken between
 * them (glibc in-use bytes 28.6-30.0 MB against 13.1-15.3 MB, 76 MB off-heap in all): the JVM's working memory,
 * not the model's, and by chance more than the 5% the soak allows. The benchmark uses it the other way round: its
 * warm-up goes on until a round leaves nothing to compile, so that the timed rounds measure compiled code.
 */
public final class JitCompiler {

    private static final String DIAGNOSTIC_COMMANDS = "com.sun.management:type=DiagnosticCommand";

    private JitCompiler() {
    }

    /**
     * Waits until no compilation runs or is queued, polling every 100 ms for at most {@code maxMillis}.
     *
     * @return whether the compilers were idle; false also where the JVM has no such command (not HotSpot)
     */
    public static boolean awaitIdle(long maxMillis) {
        long deadline = System.nanoTime() + maxMillis * 1_000_000;
        while (true) {
            String queue = compilerQueue();
            if (queue == null) {
                return false;
            }
            if (isIdle(queue)) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** Whether a compilation runs or is queued now; false where the JVM cannot say. */
    public static boolean busy() {
        String queue = compilerQueue();
        return queue != null && !isIdle(queue);
    }

    /**
     * Whether a {@code Compiler.queue} report lists no compilation: it has only its headers ("Current compiles:",
     * "C1 compile queue:", ...), "Empty" and blank lines; any other line is a task (id, level, method).
     */
    static boolean isIdle(String compilerQueueReport) {
        return compilerQueueReport.lines().map(String::strip)
                .allMatch(line -> line.isEmpty() || line.endsWith(":") || line.equals("Empty"));
    }

    /** The report, or null where the diagnostic command is not there. */
    private static String compilerQueue() {
        try {
            return (String) ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName(DIAGNOSTIC_COMMANDS),
                    "compilerQueue", new Object[] {new String[0]}, new String[] {String[].class.getName()});
        } catch (JMException | ClassCastException notHotSpot) {
            return null;
        }
    }
}
