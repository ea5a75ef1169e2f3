package org.xlstm.dl4j.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.xlstm.dl4j.imports.OfficialWeightImporter;
import org.xlstm.dl4j.imports.SafetensorsFile;

/**
 * The official block stacks (mLSTM only, sLSTM only, mixed) rebuilt from their configs, loaded with the
 * official weights (both sLSTM checkpoint layouts), against the official outputs, step-by-step outputs,
 * input gradients and parameter gradients of d(sum(output * R)).
 */
class BlockStackConformanceTest {

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            list.add(Arguments.of("mlstm_only", "weights.safetensors", type));
            list.add(Arguments.of("slstm_only", "weights.safetensors", type));
            list.add(Arguments.of("slstm_only", "weights_cuda_layout.safetensors", type));
            list.add(Arguments.of("mixed_3_1", "weights.safetensors", type));
            list.add(Arguments.of("mixed_3_1", "weights_cuda_layout.safetensors", type));
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void matchesOfficialImplementation(String caseName, String weightsFile, DataType type) {
        ConformanceCase c = new ConformanceCase(caseName);
        MultiLayerNetwork net = c.stackNetwork(type, weightsFile);
        INDArray input = c.npy("input.npy").castTo(type);
        INDArray ncw = input.permute(0, 2, 1).dup('c');

        INDArray output = net.output(ncw).permute(0, 2, 1);
        ConformanceCase.assertClose(caseName + " output", c.npy("output.npy"), output, type);

        net.rnnClearPreviousState();
        long steps = ncw.size(2);
        INDArray stepped = Nd4j.create(type, output.shape());
        for (int t = 0; t < steps; t++) {
            INDArray out = net.rnnTimeStep(ncw.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t)));
            stepped.get(NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all()).assign(out);
        }
        ConformanceCase.assertClose(caseName + " step output", c.npy("step_output.npy"), stepped, type);

        INDArray upstream = c.npy("upstream.npy").castTo(type).permute(0, 2, 1).dup('c');
        // forward and backward layer by layer, as the network does in fit(), with an arbitrary upstream gradient
        net.rnnClearPreviousState();
        net.initGradientsView();
        Layer[] layers = net.getLayers();
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        INDArray activation = ncw;
        for (Layer layer : layers) {
            activation = layer.activate(activation, true, mgr);
        }
        INDArray epsilon = upstream;
        List<Map<String, INDArray>> perLayer = new ArrayList<>();
        for (int i = layers.length - 1; i >= 0; i--) {
            Pair<Gradient, INDArray> g = layers[i].backpropGradient(epsilon, mgr);
            epsilon = g.getSecond();
            perLayer.add(0, g.getFirst().gradientForVariable());
        }
        ConformanceCase.assertClose(caseName + " input gradient", c.npy("grad_input.npy"),
                epsilon.permute(0, 2, 1), type);

        boolean cuda = weightsFile.contains("cuda");
        Map<String, INDArray> ours = OfficialWeightImporter.toOfficial(perLayer, c.mappings(cuda));
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
