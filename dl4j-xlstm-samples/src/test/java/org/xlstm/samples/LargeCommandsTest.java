package org.xlstm.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.xlstm.dl4j.imports.NpyIO;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.imports.SafetensorsReader;

import picocli.CommandLine;

/** {@code xlstm import-run-large} and {@code generate-large} on the official xLSTM-Large conformance case. */
class LargeCommandsTest {
    private static final Path CASE = Paths.get("..", "dl4j-xlstm-layers", "src", "test", "resources",
            "conformance-large", "large_tiny");

    @Test
    void importRunLargeWritesTheOfficialOutputs(@TempDir Path out) {
        Map.Entry<Integer, String> result = Reference.runInProcess("import-run-large", "--model", CASE.toString(),
                "--input", CASE.resolve("input.npy").toString(), "--out", out.toString(), "--dtype", "float64",
                "--upstream", CASE.resolve("upstream.npy").toString());
        assertEquals(0, result.getKey(), result.getValue());
        for (String file : new String[] {"logits.npy", "step_logits.npy"}) {
            Reference.assertClose(file, NpyIO.read(CASE.resolve(file)), NpyIO.read(out.resolve(file)), DataType.DOUBLE);
        }
        try (SafetensorsFile reference = SafetensorsReader.open(CASE.resolve("grads.safetensors"));
             SafetensorsFile ours = SafetensorsReader.open(out.resolve("grads.safetensors"))) {
            assertEquals(reference.names().size(), ours.names().size());
            for (String name : reference.names()) {
                Reference.assertClose(name, reference.get(name, DataType.DOUBLE), ours.get(name, DataType.DOUBLE),
                        DataType.DOUBLE);
            }
        }
    }

    @Test
    void generateLargePrintsTokensAndRates() {
        StringWriter printed = new StringWriter();
        CommandLine cli = XlstmCli.commandLine();
        cli.setOut(new PrintWriter(printed, true));
        int code = cli.execute("generate-large", "--model", CASE.toString(), "--prompt-ids", "1,2,3",
                "--max-new-tokens", "8", "--temperature", "0.8", "--top-k", "5", "--seed", "3");
        assertEquals(0, code, printed.toString());
        String[] lines = printed.toString().trim().split("\\R");
        String ids = lines[lines.length - 2];
        assertEquals(8, ids.split(",").length, printed.toString());
        assertTrue(lines[lines.length - 1].matches("prefill: 3 tokens, .* tokens/s; generation: 8 tokens, .*"
                + " tokens/s"), printed.toString());
    }
}
