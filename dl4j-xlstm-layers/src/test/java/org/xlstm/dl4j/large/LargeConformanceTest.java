package org.xlstm.dl4j.large;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.conformance.ConformanceCase;
import org.xlstm.dl4j.imports.NpyIO;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.imports.SafetensorsReader;
import org.xlstm.dl4j.imports.large.XlstmLargeCheckpoint;

/**
 * The official xLSTM-Large golden vectors (conformance-large/README.md): each checkpoint directory loaded as is,
 * in float64 and float32, against the official full-sequence logits, the token-by-token logits and every
 * parameter gradient of sum(logits * R).
 */
class LargeConformanceTest {

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            list.add(Arguments.of("large_tiny", type));
            list.add(Arguments.of("large_bias_noout", type));
        }
        return list.stream();
    }

    static Path caseDir(String name) {
        try {
            return Paths.get(LargeConformanceTest.class.getResource("/conformance-large/" + name + "/config.yaml")
                    .toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesOfficialImplementation(String name, DataType type) {
        Path dir = caseDir(name);
        XlstmLargeRunner runner;
        try (XlstmLargeCheckpoint checkpoint = XlstmLargeCheckpoint.open(dir)) {
            runner = checkpoint.load(type);
        }
        INDArray input = NpyIO.read(dir.resolve("input.npy"));
        ConformanceCase.assertClose(name + " logits", NpyIO.read(dir.resolve("logits.npy")), runner.logits(input), type);
        ConformanceCase.assertClose(name + " step logits", NpyIO.read(dir.resolve("step_logits.npy")),
                runner.stepLogits(input), type);

        Map<String, INDArray> ours = runner.gradients(input, NpyIO.read(dir.resolve("upstream.npy")));
        try (SafetensorsFile reference = SafetensorsReader.open(dir.resolve("grads.safetensors"))) {
            assertEquals(reference.names().size(), ours.size(), "gradient count");
            for (String tensor : reference.names()) {
                ConformanceCase.assertClose(name + " gradient " + tensor, reference.get(tensor, DataType.DOUBLE),
                        ours.get(tensor), type);
            }
        }
    }
}
