package org.xlstm.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.imports.NpyIO;

/** {@code import-run} writes its outputs all or nothing, and checks --out before it runs anything. */
class ImportRunOutputFolderTest {

    private static final Path CASE = Reference.dir("mlstm_only");

    @TempDir
    Path tmp;

    private String[] args(Path out, Path weights, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("import-run", "--config",
                CASE.resolve("config.json").toString(), "--weights", weights.toString(), "--input",
                CASE.resolve("input.npy").toString(), "--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    private static List<String> listing(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void aLateErrorLeavesTheOutputFolderAsItWas() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("output.npy"), "earlier run");
        Path upstream = tmp.resolve("upstream.npy");
        NpyIO.write(Nd4j.rand(DataType.DOUBLE, 1, 2, 3), upstream);
        Map.Entry<Integer, String> result = Reference.runInProcess(args(out, CASE.resolve("weights.safetensors"),
                "--upstream", upstream.toString()));
        assertNotEquals(0, result.getKey());
        assertTrue(result.getValue().contains("upstream"), result.getValue());
        assertEquals(List.of("output.npy"), listing(out));
        assertEquals("earlier run", Files.readString(out.resolve("output.npy")));
    }

    @Test
    void aFailedRunDoesNotLeaveANewOutputFolderBehind() {
        Path out = tmp.resolve("new/out");
        Path upstream = tmp.resolve("upstream.npy");
        NpyIO.write(Nd4j.rand(DataType.DOUBLE, 1, 2, 3), upstream);
        Map.Entry<Integer, String> result = Reference.runInProcess(args(out, tmp.resolve("absent.safetensors")));
        assertNotEquals(0, result.getKey());
        Map.Entry<Integer, String> late = Reference.runInProcess(args(out, CASE.resolve("weights.safetensors"),
                "--dtype", "float32", "--upstream", upstream.toString()));
        assertNotEquals(0, late.getKey(), late.getValue());
        assertFalse(Files.exists(tmp.resolve("new")), "a failed run created " + tmp.resolve("new"));
    }

    @Test
    void anUnusableOutputFolderIsReportedBeforeTheModelRuns() throws IOException {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        // The weights are broken too: the --out problem must be the one reported, because it is checked first.
        Path broken = Files.write(tmp.resolve("broken.safetensors"), new byte[] {1, 2, 3});
        Map.Entry<Integer, String> under = Reference.runInProcess(args(file.resolve("out"), broken));
        assertNotEquals(0, under.getKey());
        assertTrue(under.getValue().contains("--out"), under.getValue());
        Map.Entry<Integer, String> itself = Reference.runInProcess(args(file, broken));
        assertTrue(itself.getValue().contains("--out") && itself.getValue().contains("not a folder"),
                itself.getValue());
        assertEquals("x", Files.readString(file));
    }

    @Test
    void aSuccessfulRunLeavesOnlyItsOutputs() throws IOException {
        Path out = tmp.resolve("out");
        Map.Entry<Integer, String> result = Reference.runInProcess(args(out, CASE.resolve("weights.safetensors")));
        assertEquals(0, result.getKey(), result.getValue());
        assertEquals(List.of("output.npy", "step_output.npy"), listing(out));
    }
}
