package org.xlstm.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;

/** {@code xlstm import-run} on every official conformance case against the reference files. */
class ImportRunConformanceTest {

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({
        "mlstm_only, weights.safetensors, float64",
        "slstm_only, weights.safetensors, float64",
        "slstm_only, weights_cuda_layout.safetensors, float64",
        "mixed_3_1, weights.safetensors, float64",
        "mixed_3_1, weights_cuda_layout.safetensors, float64",
        "mixed_3_1, weights.safetensors, float32",
        "lm_mixed, weights.safetensors, float64",
        "lm_mixed, weights_cuda_layout.safetensors, float64",
        "lm_mixed, weights.safetensors, float32",
    })
    void matchesOfficialImplementation(String caseName, String weightsFile, String dtype, @TempDir Path out) {
        Map.Entry<Integer, String> result = Reference.runInProcess(
                Reference.importRunArgs(caseName, weightsFile, dtype, out));
        assertEquals(0, result.getKey(), result.getValue());
        Reference.assertMatches(caseName, weightsFile, out,
                "float64".equals(dtype) ? DataType.DOUBLE : DataType.FLOAT);
    }
}
