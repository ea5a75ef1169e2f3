package org.xlstm.samples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xlstm.samples.common.SampleRun;

/** The benchmark harness at tiny sizes: it runs end to end and its ratio lines are machine-readable. */
class BenchmarkCommandTest {

    private static final List<String> REQUIRED = List.of("mlstm_train_vs_lstm", "mlstm_fwd_flop_utilisation",
            "mlstm_linear_16k_over_1k", "slstm_train_vs_lstm", "stream_ms_per_token", "attention_4k_over_1k",
            "lstm_concurrent_xlstm_over_dl4j_load");

    @Test
    void smokeRunPrintsParsableRatiosLastAndAPlot(@TempDir Path dir) throws Exception {
        Path plot = dir.resolve("smoke.png");
        String out = SampleRun.run("benchmark", "--smoke", "--plot", plot.toString());

        String[] lines = out.strip().split("\\R");
        Map<String, Double> ratios = new LinkedHashMap<>();
        boolean inRatios = false;
        for (String line : lines) {
            if (line.startsWith("ratio ")) {
                inRatios = true;
                String[] f = line.trim().split(" ");
                assertEquals(3, f.length, line);
                double value = Double.parseDouble(f[2]);
                assertTrue(Double.isFinite(value) && value > 0, line);
                ratios.put(f[1], value);
            } else {
                assertFalse(inRatios, "ratio lines come last, but found after them: " + line);
            }
        }
        assertTrue(ratios.keySet().containsAll(REQUIRED), "ratios printed: " + ratios.keySet() + "\n" + out);
        assertTrue(out.contains("threads: OMP_WAIT_POLICY"), out);
        // The training and utilisation ratios come from paired rounds in forked JVMs (smoke: one fork, one set
        // warm-up round, more while the JIT compiles, and two timed rounds each), whose round lines the parent
        // echoes; the streaming line too.
        assertEquals(3, out.lines().filter(l -> l.trim().startsWith("round 1 (warm-up): ")).count(), out);
        assertEquals(6, out.lines().filter(l -> l.trim().matches("round \\d+: .*")).count(), out);
        assertTrue(out.contains("streaming rnnTimeStep (fresh JVM)"), out);
        assertTrue(Files.size(plot) > 1000, "plot written");
    }

    @Test
    void utilisationOnlyPrintsJustTheUtilisationRatioAndNoPlot(@TempDir Path dir) throws Exception {
        Path plot = dir.resolve("not-written.png");
        String out = SampleRun.run("benchmark", "--smoke", "--utilisation-only", "--plot", plot.toString());
        List<String> ratioLines = out.strip().lines().filter(l -> l.startsWith("ratio ")).collect(Collectors.toList());
        assertEquals(1, ratioLines.size(), out);
        String[] f = ratioLines.get(0).split(" ");
        assertEquals("mlstm_fwd_flop_utilisation", f[1], out);
        double value = Double.parseDouble(f[2]);
        assertTrue(Double.isFinite(value) && value > 0, out);
        assertFalse(out.contains("fwd tok/s"), "the side-by-side table is skipped:\n" + out);
        assertFalse(Files.exists(plot), "no plot is written");
    }
}
