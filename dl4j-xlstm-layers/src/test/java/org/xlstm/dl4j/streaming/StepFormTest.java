package org.xlstm.dl4j.streaming;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMLayer;
import org.xlstm.dl4j.conf.XlstmLayerNorm;
import org.xlstm.dl4j.imports.XlstmStackConfig;
import org.xlstm.dl4j.model.XlstmStack;
import org.xlstm.dl4j.runtime.GatedFeedForwardModule;
import org.xlstm.dl4j.kernel.BackendSwitch;
import org.xlstm.dl4j.kernel.KernelRegistry;

/**
 * The rnnTimeStep step form (float32, one step, CPU) gives the general sequence path's numbers: outputs and
 * states over 30 steps, mixed with multi-step calls, from a state the general path produced or a user set,
 * and with parameters changed by training or setParams. The general path is the reference backend's
 * ({@code xlstm.backend=reference}).
 */
class StepFormTest {
    private static final int E = 16;
    private static final int STEPS = 30;
    /** Relative to the largest magnitude: float32 rounding, grown through a few blocks and 30 steps. */
    private static final double TOLERANCE = 5e-5;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("mlstmBlock", (Supplier<List<Layer>>) () -> List.of(new MLSTMBlock.Builder()
                        .innerSize(32).numHeads(2).qkvBlockSize(4).convKernelSize(4).chunkSize(8).build())),
                Arguments.of("mlstmBlockNoConvWithBias", (Supplier<List<Layer>>) () -> List.of(new MLSTMBlock.Builder()
                        .innerSize(32).numHeads(4).qkvBlockSize(2).convKernelSize(0).bias(true).build())),
                Arguments.of("mlstmLayer", (Supplier<List<Layer>>) () -> List.of(new MLSTMLayer.Builder().nOut(8)
                        .innerSize(32).numHeads(2).qkvBlockSize(4).convKernelSize(2).build())),
                Arguments.of("slstmBlock", (Supplier<List<Layer>>) () -> List.of(new SLSTMBlock.Builder()
                        .numHeads(2).convKernelSize(4).build())),
                Arguments.of("slstmBlockNoConvSiluFfnBias", (Supplier<List<Layer>>) () -> List.of(
                        new SLSTMBlock.Builder().numHeads(4).convKernelSize(0)
                                .ffnActivation(GatedFeedForwardModule.Activation.SILU).ffnBias(true).build())),
                Arguments.of("slstmLayerDenseGates", (Supplier<List<Layer>>) () -> List.of(new SLSTMLayer.Builder()
                        .nOut(8).numHeads(2).convKernelSize(3).build())),
                Arguments.of("layerNorm", (Supplier<List<Layer>>) () -> List.of(new XlstmLayerNorm.Builder().build())),
                Arguments.of("mixedStack", (Supplier<List<Layer>>) StepFormTest::mixedStack));
    }

    /** mLSTM, sLSTM, mLSTM, mLSTM blocks and the post-blocks norm, as the streaming benchmark. */
    private static List<Layer> mixedStack() {
        XlstmStackConfig config = XlstmStackConfig.fromYaml("embedding_dim: " + E + "\nnum_blocks: 4\nslstm_at: [1]\n"
                + "mlstm_block: {mlstm: {num_heads: 4, conv1d_kernel_size: 4, qkv_proj_blocksize: 4}}\n"
                + "slstm_block: {slstm: {num_heads: 4, conv1d_kernel_size: 4}, feedforward: {proj_factor: 1.3,"
                + " act_fn: gelu}}\n");
        return List.copyOf(XlstmStack.layers(config, RNNFormat.NCW));
    }

    private static MultiLayerNetwork network(List<Layer> layers) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(11)
                .dataType(DataType.FLOAT).updater(new Adam(1e-2)).list();
        for (Layer layer : layers) {
            list.layer(layer);
        }
        list.layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3).activation(Activation.IDENTITY)
                .build());
        MultiLayerNetwork net = new MultiLayerNetwork(list.setInputType(InputType.recurrent(E)).build());
        net.init();
        // Random parameters everywhere: the initialisation leaves many at 0 or 1 (norm weights, gate weights,
        // R), where mistakes would not show.
        Nd4j.getRandom().setSeed(5);
        net.setParams(Nd4j.randn(DataType.FLOAT, 1, net.numParams()).muli(0.3));
        return net;
    }

    private static <T> T general(Supplier<T> call) {
        return BackendSwitch.on(KernelRegistry.REFERENCE, call);
    }

    private static INDArray window(INDArray x, int from, int length) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, from + length)).dup();
    }

    private static void assertClose(String what, INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        assertEquals(expected.dataType(), actual.dataType(), what);
        double scale = Math.max(1.0, expected.amaxNumber().doubleValue());
        double error = expected.sub(actual).amaxNumber().doubleValue() / scale;
        assertTrue(error <= TOLERANCE, what + ": relative difference " + error);
    }

    private static void assertSameStates(String what, MultiLayerNetwork expected, MultiLayerNetwork actual) {
        for (int i = 0; i < expected.getnLayers() - 1; i++) {
            Map<String, INDArray> e = expected.rnnGetPreviousState(i);
            Map<String, INDArray> a = actual.rnnGetPreviousState(i);
            assertEquals(e.keySet(), a.keySet(), what + ": state keys of layer " + i);
            for (String key : e.keySet()) {
                assertClose(what + ": state " + key + " of layer " + i, e.get(key), a.get(key));
            }
        }
    }

    private static Map<String, INDArray> copies(Map<String, INDArray> state) {
        Map<String, INDArray> copy = new HashMap<>();
        state.forEach((k, v) -> copy.put(k, v.dup()));
        return copy;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void singleStepsMatchTheGeneralPath(String name, Supplier<List<Layer>> layers) {
        for (int batch : new int[] {1, 3}) {
            MultiLayerNetwork fast = network(layers.get());
            MultiLayerNetwork reference = fast.clone();
            INDArray x = Nd4j.randn(DataType.FLOAT, batch, E, STEPS);
            for (int t = 0; t < STEPS; t++) {
                INDArray step = window(x, t, 1);
                INDArray expected = general(() -> reference.rnnTimeStep(step));
                assertClose(name + " B=" + batch + " t=" + t, expected, fast.rnnTimeStep(step));
            }
            assertSameStates(name + " B=" + batch, reference, fast);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void singleAndMultiStepCallsMix(String name, Supplier<List<Layer>> layers) {
        MultiLayerNetwork fast = network(layers.get());
        MultiLayerNetwork reference = fast.clone();
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, E, STEPS);
        int t = 0;
        for (int length : new int[] {1, 5, 1, 1, 5, 1, 5, 5, 1, 1, 1, 1, 1, 1}) {
            INDArray chunk = window(x, t, length);
            INDArray expected = general(() -> reference.rnnTimeStep(chunk));
            assertClose(name + " t=" + t + " length " + length, expected, fast.rnnTimeStep(chunk));
            t += length;
        }
        assertEquals(STEPS, t);
        assertSameStates(name, reference, fast);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void continuesFromAStateOfTheGeneralPathAndLeavesHandedOutStatesAlone(String name,
                                                                         Supplier<List<Layer>> layers) {
        MultiLayerNetwork fast = network(layers.get());
        MultiLayerNetwork reference = fast.clone();
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, E, STEPS);
        general(() -> reference.rnnTimeStep(window(x, 0, 10)));
        int n = reference.getnLayers() - 1;
        for (int i = 0; i < n; i++) {
            fast.rnnSetPreviousState(i, reference.rnnGetPreviousState(i));
        }
        Map<String, INDArray> handedOut = fast.rnnGetPreviousState(0);
        Map<String, INDArray> handedOutValues = copies(handedOut);
        for (int t = 10; t < 20; t++) {
            INDArray step = window(x, t, 1);
            INDArray expected = general(() -> reference.rnnTimeStep(step));
            assertClose(name + " t=" + t, expected, fast.rnnTimeStep(step));
            if (t == 14) {
                handedOut = fast.rnnGetPreviousState(0);
                handedOutValues = copies(handedOut);
            }
        }
        assertSameStates(name, reference, fast);
        for (String key : handedOut.keySet()) {
            assertEquals(handedOutValues.get(key), handedOut.get(key), name + ": state " + key + " changed after"
                    + " it was handed out");
        }
        // and the general path continues from the step form's state
        INDArray rest = window(x, 20, 10);
        assertClose(name + " rest", general(() -> reference.rnnTimeStep(rest)), general(() -> fast.rnnTimeStep(rest)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void seesParametersChangedByTrainingAndSetParams(String name, Supplier<List<Layer>> layers) {
        MultiLayerNetwork fast = network(layers.get());
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, E, 8);
        INDArray step = window(x, 0, 1);
        INDArray before = fast.rnnTimeStep(step);
        fast.rnnClearPreviousState();
        for (int i = 0; i < 3; i++) {
            fast.fit(x, Nd4j.randn(DataType.FLOAT, 2, 3, 8));
        }
        MultiLayerNetwork reference = fast.clone();
        INDArray afterFit = fast.rnnTimeStep(step);
        assertFalse(before.equalsWithEps(afterFit, 1e-3), name + ": training changed nothing");
        assertClose(name + " after fit", general(() -> reference.rnnTimeStep(step)), afterFit);

        INDArray params = Nd4j.randn(DataType.FLOAT, 1, fast.numParams()).muli(0.3);
        fast.setParams(params);
        reference.setParams(params);
        fast.rnnClearPreviousState();
        reference.rnnClearPreviousState();
        for (int t = 0; t < 8; t++) {
            INDArray s = window(x, t, 1);
            assertClose(name + " after setParams t=" + t, general(() -> reference.rnnTimeStep(s)), fast.rnnTimeStep(s));
        }
    }

    /** NWC, each block type alone in a network (stacks: {@link #nwcStackOfTwoBlocksStreams}). */
    @Test
    void nwcMatchesTheGeneralPath() {
        for (Layer block : List.<Layer>of(new MLSTMBlock.Builder().numHeads(2).dataFormat(RNNFormat.NWC).build(),
                new SLSTMBlock.Builder().numHeads(2).dataFormat(RNNFormat.NWC).build())) {
            MultiLayerNetwork fast = nwcNetwork(block);
            MultiLayerNetwork reference = fast.clone();
            INDArray x = Nd4j.randn(DataType.FLOAT, 2, 10, E);
            for (int t = 0; t < 10; t++) {
                INDArray step = x.get(NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1), NDArrayIndex.all()).dup();
                assertClose("NWC t=" + t, general(() -> reference.rnnTimeStep(step)), fast.rnnTimeStep(step));
            }
            assertSameStates("NWC", reference, fast);
        }
    }

    /**
     * NWC with two blocks: the general path copies each layer's output into DL4J's activation workspace, so
     * the second layer's output passes DL4J's workspace validation, for single steps and longer calls.
     */
    @Test
    void nwcStackOfTwoBlocksStreams() {
        MultiLayerNetwork fast = nwcNetwork(new MLSTMBlock.Builder().numHeads(2).dataFormat(RNNFormat.NWC).build(),
                new SLSTMBlock.Builder().numHeads(2).dataFormat(RNNFormat.NWC).build());
        MultiLayerNetwork reference = fast.clone();
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, 10, E);
        for (int t = 0; t < 5; t++) {
            INDArray step = x.get(NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1), NDArrayIndex.all()).dup();
            assertClose("NWC stack t=" + t, general(() -> reference.rnnTimeStep(step)), fast.rnnTimeStep(step));
        }
        INDArray rest = x.get(NDArrayIndex.all(), NDArrayIndex.interval(5, 10), NDArrayIndex.all()).dup();
        assertClose("NWC stack, 5 steps at once", general(() -> reference.rnnTimeStep(rest)), fast.rnnTimeStep(rest));
        assertSameStates("NWC stack", reference, fast);
    }

    /** The blocks, then an NWC output layer, with random parameters. */
    private static MultiLayerNetwork nwcNetwork(Layer... blocks) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.FLOAT).list();
        for (Layer block : blocks) {
            list.layer(block);
        }
        MultiLayerNetwork net = new MultiLayerNetwork(list.layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE)
                .nOut(3).activation(Activation.IDENTITY).dataFormat(RNNFormat.NWC).build())
                .setInputType(InputType.recurrent(E, RNNFormat.NWC)).build());
        net.init();
        net.setParams(Nd4j.randn(DataType.FLOAT, 1, net.numParams()).muli(0.3));
        return net;
    }

    /** Guards against a silently disabled step form: its rounding differs from the general path's. */
    @Test
    void theStepFormRunsOnTheCpuBackend() {
        assertEquals("cpu", KernelRegistry.activeBackend());
        assertTrue(KernelRegistry.runsStepForms());
        MultiLayerNetwork fast = network(mixedStack());
        MultiLayerNetwork reference = fast.clone();
        INDArray step = Nd4j.randn(DataType.FLOAT, 1, E, 1);
        INDArray expected = general(() -> reference.rnnTimeStep(step));
        INDArray actual = fast.rnnTimeStep(step);
        assertClose("mixed stack", expected, actual);
        // (INDArray.equals compares with a tolerance)
        assertTrue(expected.sub(actual).amaxNumber().doubleValue() > 0,
                "bit-identical to the general path: was the step form used?");
    }
}
