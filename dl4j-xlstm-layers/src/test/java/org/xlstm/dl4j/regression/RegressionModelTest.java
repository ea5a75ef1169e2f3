package org.xlstm.dl4j.regression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.imports.NpyIO;

/**
 * Every model saved by an earlier version (src/test/resources/regression/&lt;version&gt;/, written by
 * {@link RegressionModels}) loads with this version and reproduces its saved output exactly.
 */
class RegressionModelTest {
    private static final Path ROOT = Paths.get("src/test/resources/regression");

    static Stream<Arguments> savedModels() throws IOException {
        try (Stream<Path> versions = Files.list(ROOT)) {
            return versions.sorted().flatMap(v -> RegressionModels.models().keySet().stream()
                    .map(name -> Arguments.of(v.getFileName().toString(), name)))
                    .collect(Collectors.toList()).stream();
        }
    }

    @ParameterizedTest(name = "{0}/{1}")
    @MethodSource("savedModels")
    void loadsAndReproducesItsOutput(String version, String name) throws IOException {
        Path dir = ROOT.resolve(version);
        Path zip = dir.resolve(name + ".zip");
        assertTrue(Files.isRegularFile(zip), zip + " is missing");
        Model model = name.equals("stack_cg") ? ModelSerializer.restoreComputationGraph(zip.toFile(), false)
                : ModelSerializer.restoreMultiLayerNetwork(zip.toFile(), false);
        INDArray expected = NpyIO.read(dir.resolve(name + "_output.npy"));
        INDArray actual = RegressionModels.output(model, NpyIO.read(dir.resolve(name + "_input.npy")));
        assertEquals(expected, actual, version + "/" + name + ": output differs from the saved one");
    }

    @Test
    void everyLayerTypeHasASavedModel() throws IOException {
        try (Stream<Path> versions = Files.list(ROOT)) {
            List<Path> all = versions.collect(Collectors.toList());
            assertTrue(!all.isEmpty(), "no saved regression models under " + ROOT);
        }
        assertEquals(List.of("mlstm_layer", "mlstm_block", "slstm_layer", "slstm_block", "layer_norm", "stack_mln",
                "stack_cg", "tied_lm", "bidirectional", "last_time_step"), List.copyOf(RegressionModels.models()
                .keySet()));
    }
}
