package org.xlstm.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** {@code xlstm soak} on a few thousand tiny steps, of each model: all checks run and pass, latency is printed. */
class SoakCommandTest {

    @Test
    void aShortSoakPassesItsChecks() {
        assertShortSoakPasses("xlstm");
    }

    @Test
    void theDl4jLstmComparisonRunsTheSameChecks() {
        assertShortSoakPasses("lstm");
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
    }
}
