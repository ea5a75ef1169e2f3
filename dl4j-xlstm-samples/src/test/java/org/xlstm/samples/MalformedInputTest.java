package org.xlstm.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.imports.NpyIO;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.imports.SafetensorsReader;
import org.xlstm.dl4j.imports.SafetensorsWriter;

/** Broken inputs to {@code xlstm import-run}: a non-zero exit and one clear line, no stack trace. */
class MalformedInputTest {

    private static final Path CASE = Reference.dir("mlstm_only");
    private static final String DROPPED = "blocks.0.xlstm.proj_down.weight";

    @TempDir
    Path tmp;

    @Test
    void truncatedWeightsFile() throws IOException {
        byte[] bytes = Files.readAllBytes(CASE.resolve("weights.safetensors"));
        Path truncated = tmp.resolve("truncated.safetensors");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        String message = fails(args(truncated, CASE.resolve("input.npy")));
        assertTrue(message.contains("truncated.safetensors"), message);
    }

    @Test
    void missingTensor() {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsReader.open(CASE.resolve("weights.safetensors"))) {
            for (String name : file.names()) {
                if (!name.equals(DROPPED)) {
                    tensors.put(name, file.get(name, DataType.DOUBLE));
                }
            }
        }
        Path weights = tmp.resolve("incomplete.safetensors");
        SafetensorsWriter.write(tensors, weights);
        String message = fails(args(weights, CASE.resolve("input.npy")));
        assertTrue(message.contains("missing tensor " + DROPPED), message);
    }

    @Test
    void wrongInputShape() {
        Path input = tmp.resolve("input.npy");
        NpyIO.write(Nd4j.rand(DataType.DOUBLE, 2, 16, 7), input);
        String message = fails(args(CASE.resolve("weights.safetensors"), input));
        assertTrue(message.contains("[2, 16, 7]"), message);
    }

    @Test
    void missingFile() {
        String message = fails(args(tmp.resolve("nowhere.safetensors"), CASE.resolve("input.npy")));
        assertTrue(message.contains("weights file not found"), message);
    }

    private String[] args(Path weights, Path input) {
        return new String[] {"import-run", "--config", CASE.resolve("config.json").toString(), "--weights",
                weights.toString(), "--input", input.toString(), "--out", tmp.resolve("out").toString()};
    }

    /** Runs import-run expecting failure; returns the single error line. */
    private static String fails(String... args) {
        Map.Entry<Integer, String> result = Reference.runInProcess(args);
        assertNotEquals(0, result.getKey(), result.getValue());
        String err = result.getValue().trim();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith("error: "), err);
        return err;
    }
}
