package org.xlstm.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * {@code xlstm soak} on a few thousand tiny steps, of each model: all checks run and pass, latency is printed, every
 * memory reading was taken with the JIT idle, glibc's trim threshold is fixed on glibc, and its allocated bytes are
 * shown beside the resident size.
 */
class SoakCommandTest {

    @Test
    void aShortSoakPassesItsChecks() {
        assertShortSoakPasses("xlstm");
    }

    @Test
    void theDl4jLstmComparisonRunsTheSameChecks() {
        assertShortSoakPasses("lstm");
    }

    @Test
    void aTrimThresholdOutOfRangeIsRefusedByName() {
        Map.Entry<Integer, String> result = Reference.runInProcess("soak", "--steps", "20000",
                "--malloc-trim-threshold", "-2");
        assertNotEquals(0, result.getKey());
        assertTrue(result.getValue().contains("--malloc-trim-threshold must be -1 (glibc's own) or 0 to 2147483647"
                + " bytes, got -2"), result.getValue());
    }

    private static void assertShortSoakPasses(String model) {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        Map.Entry<Integer, String> result;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            result = Reference.runInProcess("soak", "--model", model, "--steps", "3000", "--size", "8",
                    "--baseline-after", "1000", "--replay", "50", "--replay-every", "1000", "--tolerance", "0.5");
        } finally {
            System.setOut(saved);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, result.getKey(), out + result.getValue());
        assertTrue(out.contains("3,000 steps") && out.contains("replay ok"), out);
        assertTrue(out.contains("p99") && out.contains("soak ok"), out);
        // every reading waits for the JIT compilers: a compilation in flight would be in the off-heap figure
        assertEquals(out.lines().filter(l -> l.contains("bytes")
                && (l.startsWith("baseline") || l.contains("replay ok") || l.startsWith("memory at the end"))).count(),
                out.lines().filter(l -> l.contains("(JIT idle, ")).count(), out);
        assertTrue(out.contains("off-heap resident: "), out);
        if (MallocInUse.available()) {
            assertTrue(out.contains("glibc trim threshold fixed at 131,072 bytes"), out);
            assertTrue(out.contains("off-heap allocated (malloc in use, not checked): ")
                    && out.contains("bytes, malloc in use "), out);
        }
    }
}
