package org.xlstm.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.imports.NpyIO;
import org.xlstm.dl4j.imports.ParameterMapping;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.imports.SafetensorsReader;
import org.xlstm.dl4j.imports.XlstmLmConfig;
import org.xlstm.dl4j.imports.XlstmStackConfig;
import org.xlstm.dl4j.model.XlstmLanguageModel;
import org.xlstm.dl4j.model.XlstmStack;

import picocli.CommandLine;

/** The official conformance vectors of the layers module, and the tolerance rule of their README. */
final class Reference {

    static final Path ROOT = Paths.get("..", "dl4j-xlstm-layers", "src", "test", "resources", "conformance");

    private Reference() {
    }

    static Path dir(String caseName) {
        return ROOT.resolve(caseName);
    }

    /** Language-model cases have no input gradient (token ids). */
    static boolean isLanguageModel(String caseName) {
        return !Files.exists(dir(caseName).resolve("grad_input.npy"));
    }

    /** The import-run arguments for a case, with the upstream tensor. */
    static String[] importRunArgs(String caseName, String weightsFile, String dtype, Path out) {
        Path d = dir(caseName);
        return new String[] {"import-run", "--config", d.resolve("config.json").toString(), "--weights",
                d.resolve(weightsFile).toString(), "--input", d.resolve("input.npy").toString(), "--upstream",
                d.resolve("upstream.npy").toString(), "--out", out.toString(), "--dtype", dtype};
    }

    /** Runs the CLI in-process; returns the exit code and what it wrote to stderr. */
    static Map.Entry<Integer, String> runInProcess(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = XlstmCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return Map.entry(code, err.toString());
    }

    /** Compares every file import-run wrote in {@code out} with the case's reference files. */
    static void assertMatches(String caseName, String weightsFile, Path out, DataType type) {
        Path d = dir(caseName);
        assertClose(caseName + " output", NpyIO.read(d.resolve("output.npy")), NpyIO.read(out.resolve("output.npy")),
                type);
        assertClose(caseName + " step output", NpyIO.read(d.resolve("step_output.npy")),
                NpyIO.read(out.resolve("step_output.npy")), type);
        boolean lm = isLanguageModel(caseName);
        assertEquals(!lm, Files.exists(out.resolve("grad_input.npy")), "grad_input.npy written iff a block stack");
        if (!lm) {
            assertClose(caseName + " input gradient", NpyIO.read(d.resolve("grad_input.npy")),
                    NpyIO.read(out.resolve("grad_input.npy")), type);
        }
        boolean cuda = weightsFile.contains("cuda");
        Map<String, ParameterMapping> checkpointLayout = byName(mappings(caseName, cuda));
        Map<String, ParameterMapping> vanilla = byName(mappings(caseName, false));
        try (SafetensorsFile reference = SafetensorsReader.open(d.resolve("grads.safetensors"));
             SafetensorsFile ours = SafetensorsReader.open(out.resolve("grads.safetensors"))) {
            assertEquals(reference.names().size(), ours.names().size(), caseName + ": number of gradients");
            for (String name : reference.names()) {
                INDArray ref = reference.get(name, DataType.DOUBLE);
                // ours are in the checkpoint's layout; the reference gradients are in the vanilla layout
                INDArray mine = vanilla.get(name).toOfficial(checkpointLayout.get(name)
                        .toOurs(ours.get(name, DataType.DOUBLE)));
                assertClose(caseName + " gradient " + name, ref, mine.reshape(ref.shape()), type);
            }
        }
    }

    private static List<List<ParameterMapping>> mappings(String caseName, boolean cuda) {
        Path config = dir(caseName).resolve("config.json");
        return isLanguageModel(caseName)
                ? XlstmLanguageModel.officialMappings(XlstmLmConfig.fromJson(config), cuda)
                : XlstmStack.officialMappings(XlstmStackConfig.fromJson(config), "", cuda);
    }

    private static Map<String, ParameterMapping> byName(List<List<ParameterMapping>> mappings) {
        Map<String, ParameterMapping> map = new HashMap<>();
        mappings.forEach(layer -> layer.forEach(m -> map.put(m.officialName(), m)));
        return map;
    }

    /** The README's rule: |ours - ref| <= tol * max(1, max|ref|), 1e-5 for float64 and 2e-3 for float32. */
    static void assertClose(String what, INDArray reference, INDArray ours, DataType type) {
        assertArrayEquals(reference.shape(), ours.shape(), what + ": shape");
        double tolerance = type == DataType.DOUBLE ? 1e-5 : 2e-3;
        INDArray ref = reference.castTo(DataType.DOUBLE);
        double scale = Math.max(1.0, ref.amaxNumber().doubleValue());
        double error = ours.castTo(DataType.DOUBLE).sub(ref).amaxNumber().doubleValue();
        assertTrue(error <= tolerance * scale, what + ": max |ours - reference| = " + error + " exceeds "
                + tolerance + " * " + scale);
    }
}
