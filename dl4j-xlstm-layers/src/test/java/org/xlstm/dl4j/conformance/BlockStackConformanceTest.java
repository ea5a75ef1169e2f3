package org.xlstm.dl4j.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.kernel.BackendSwitch;
import org.xlstm.dl4j.kernel.KernelRegistry;
import org.xlstm.dl4j.model.OfficialModelRunner;

/**
 * The official block stacks (mLSTM only, sLSTM only, mixed) rebuilt from their configs, loaded with the
 * official weights (both sLSTM checkpoint layouts), against the official outputs, step-by-step outputs,
 * input gradients and parameter gradients of d(sum(output * R)), on the CPU backend and on the reference
 * path ({@code xlstm.backend=reference}: plain ND4J, no host code), each selected by the switch.
 */
class BlockStackConformanceTest {

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (String backend : new String[] {"cpu", KernelRegistry.REFERENCE}) {
            for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
                list.add(Arguments.of(backend, "mlstm_only", "weights.safetensors", type));
                list.add(Arguments.of(backend, "slstm_only", "weights.safetensors", type));
                list.add(Arguments.of(backend, "slstm_only", "weights_cuda_layout.safetensors", type));
                list.add(Arguments.of(backend, "mixed_3_1", "weights.safetensors", type));
                list.add(Arguments.of(backend, "mixed_3_1", "weights_cuda_layout.safetensors", type));
            }
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0}: {1} {2} {3}")
    @MethodSource("cases")
    void matchesOfficialImplementation(String backend, String caseName, String weightsFile, DataType type) {
        BackendSwitch.on(backend, () -> {
            assertEquals(backend, KernelRegistry.activeBackend());
            check(caseName, weightsFile, type);
        });
    }

    private static void check(String caseName, String weightsFile, DataType type) {
        ConformanceCase c = new ConformanceCase(caseName);
        OfficialModelRunner runner = c.stackRunner(type, weightsFile);
        INDArray input = c.npy("input.npy");
        ConformanceCase.assertClose(caseName + " output", c.npy("output.npy"), runner.output(input), type);
        ConformanceCase.assertClose(caseName + " step output", c.npy("step_output.npy"), runner.stepOutput(input),
                type);

        OfficialModelRunner.Gradients gradients = runner.gradients(input, c.npy("upstream.npy"));
        ConformanceCase.assertClose(caseName + " input gradient", c.npy("grad_input.npy"), gradients.input(), type);

        boolean cuda = weightsFile.contains("cuda");
        Map<String, INDArray> ours = gradients.parameters();
        try (SafetensorsFile reference = c.safetensors("grads.safetensors")) {
            for (String name : reference.names()) {
                INDArray ref = reference.get(name, DataType.DOUBLE);
                INDArray mine = ours.get(name);
                if (cuda && name.endsWith("_recurrent_kernel_")) {
                    // the reference gradients are stored in the vanilla layout
                    mine = toVanillaRecurrent(mine, ref.shape());
                } else if (cuda && name.endsWith("_bias_")) {
                    mine = toVanillaBias(mine, ref.length(), c.stackConfig().getSlstm().getNumHeads());
                }
                ConformanceCase.assertClose(caseName + " gradient " + name, ref, mine.reshape(ref.shape()), type);
            }
        }
    }

    private static INDArray toVanillaRecurrent(INDArray cudaLayout, long[] vanillaShape) {
        long heads = vanillaShape[0];
        long dh = vanillaShape[2];
        return cudaLayout.reshape(heads, dh, 4, dh).permute(0, 2, 3, 1).dup('c').reshape(vanillaShape);
    }

    private static INDArray toVanillaBias(INDArray cudaLayout, long length, long heads) {
        long dh = length / 4 / heads;
        return cudaLayout.reshape(heads, 4, dh).permute(1, 0, 2).dup('c').reshape(length);
    }
}
