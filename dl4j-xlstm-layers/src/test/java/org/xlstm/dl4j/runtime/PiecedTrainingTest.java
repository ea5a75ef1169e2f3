package org.xlstm.dl4j.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.XlstmLayerConfig;

/**
 * Training in pieces of time ({@link PiecedTraining}) against training the whole sequence at once: the same
 * output, input gradient and parameter gradients, for the mLSTM layer (with and without conv) and block, with
 * padding, in both data formats, with a last piece shorter than the others.
 */
class PiecedTrainingTest {
    private static final int MINIBATCH = 3;
    /** Not a multiple of the pieces: the last piece is shorter. */
    private static final int TIME = 21;
    private static final int CHUNK = 4;

    @AfterEach
    void clearPieceLength() {
        System.clearProperty(PiecedTraining.PROPERTY);
    }

    static Stream<Arguments> layers() {
        return Stream.of(
                Arguments.of("mLSTM layer, conv 4", conv(4), false),
                Arguments.of("mLSTM layer, conv 4, NWC", conv(4), true),
                Arguments.of("mLSTM layer, no conv", conv(0), false),
                Arguments.of("mLSTM block", block(), false),
                Arguments.of("mLSTM block, NWC", block(), true));
    }

    private static MLSTMLayer.AbstractBuilder<?> conv(int kernel) {
        return new MLSTMLayer.Builder().nIn(3).nOut(5).innerSize(8).numHeads(2).qkvBlockSize(2).chunkSize(CHUNK)
                .convKernelSize(kernel);
    }

    private static MLSTMLayer.AbstractBuilder<?> block() {
        return new MLSTMBlock.Builder().size(4).innerSize(8).numHeads(2).qkvBlockSize(2).chunkSize(CHUNK);
    }

    /** float64: pieces of 8 steps (3 pieces) and 6 steps (rounded down to the chunk: 6 pieces). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void float64GradientsAreTheWholeSequences(String name, MLSTMLayer.AbstractBuilder<?> builder, boolean nwc) {
        for (boolean masked : new boolean[] {false, true}) {
            for (String piece : new String[] {"8", "6"}) {
                compare(name + (masked ? ", masked" : "") + ", piece " + piece, builder, nwc, DataType.DOUBLE, masked,
                        piece, 1e-10);
            }
        }
    }

    /** float32 on the CPU backend's kernels: the same up to float rounding. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void float32GradientsAreTheWholeSequences(String name, MLSTMLayer.AbstractBuilder<?> builder, boolean nwc) {
        compare(name + ", masked, float32", builder, nwc, DataType.FLOAT, true, "8", 2e-4);
    }

    @Test
    void pieceLengthIsAMultipleOfTheChunkAndShortSequencesTrainWhole() {
        SequenceModule module = ((XlstmLayerConfig) conv(4).build()).module();
        PiecedTraining pieced = new PiecedTraining(null, module, null);
        System.setProperty(PiecedTraining.PROPERTY, "8");
        assertEquals(8, pieced.pieceSteps(TIME));
        assertEquals(0, pieced.pieceSteps(8));
        System.setProperty(PiecedTraining.PROPERTY, "6");
        assertEquals(4, pieced.pieceSteps(TIME));
        System.setProperty(PiecedTraining.PROPERTY, "3");
        assertEquals(CHUNK, pieced.pieceSteps(TIME));
        System.clearProperty(PiecedTraining.PROPERTY);
        assertEquals(0, pieced.pieceSteps(PiecedTraining.DEFAULT_STEPS));
        assertEquals(PiecedTraining.DEFAULT_STEPS, pieced.pieceSteps(PiecedTraining.DEFAULT_STEPS + 1));
    }

    @Test
    void badPieceLengthIsRejectedNamingTheProperty() {
        MultiLayerNetwork net = network(conv(4), false, DataType.DOUBLE);
        for (String bad : new String[] {"0", "-4", "four"}) {
            System.setProperty(PiecedTraining.PROPERTY, bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> net.getLayer(0).activate(input(DataType.DOUBLE, 3, false), true,
                            LayerWorkspaceMgr.noWorkspaces()));
            assertEquals("System property xlstm.training.piece (time steps per piece of a long training sequence):"
                    + " expected a positive integer, got '" + bad + "'", e.getMessage());
        }
    }

    /**
     * The state gradients carry the exactness: pieces of an mLSTM module (with conv) chained through them have
     * the whole sequence's gradients; the same pieces without them (truncated backprop) do not.
     */
    @Test
    void withoutStateGradientsPiecesDiffer() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        MultiLayerNetwork net = network(conv(4), true, DataType.DOUBLE);
        SequenceModule module = ((XlstmLayerConfig) net.getLayer(0).conf().getLayer()).module();
        Map<String, INDArray> params = net.getLayer(0).paramTable();
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.rand(DataType.DOUBLE, MINIBATCH, TIME, 3).subi(0.5);
        INDArray dy = Nd4j.randn(DataType.DOUBLE, MINIBATCH, TIME, 5);
        Map<String, INDArray> whole = gradientsLike(params);
        INDArray dxWhole = module.backward(params, module.forward(params, x, null, null, true), dy, whole);
        for (boolean chained : new boolean[] {true, false}) {
            int split = 10;
            ModuleForward first = module.forward(params, steps(x, 0, split), null, null, true);
            ModuleForward second = module.forward(params, steps(x, split, TIME), null, first.finalState, true);
            Map<String, INDArray> g2 = gradientsLike(params);
            Map<String, INDArray> dState = new HashMap<>();
            INDArray dx2 = module.backward(params, second, steps(dy, split, TIME), new HashMap<>(), g2, dState);
            assertTrue(dState.keySet().containsAll(java.util.List.of("C", "n", "conv")), dState.keySet().toString());
            Map<String, INDArray> g1 = gradientsLike(params);
            INDArray dx1 = module.backward(params, first, steps(dy, 0, split), chained ? dState : new HashMap<>(), g1,
                    null);
            double error = relative(dxWhole, Nd4j.concat(1, dx1, dx2));
            for (String p : params.keySet()) {
                error = Math.max(error, relative(whole.get(p), g1.get(p).add(g2.get(p))));
            }
            assertTrue(chained ? error < 1e-10 : error > 1e-3, (chained ? "chained" : "truncated") + ": " + error);
        }
    }

    private static void compare(String what, MLSTMLayer.AbstractBuilder<?> builder, boolean nwc, DataType type,
                                boolean masked, String piece, double tolerance) {
        Nd4j.setDefaultDataTypes(type, type);
        Nd4j.getRandom().setSeed(12345);
        MultiLayerNetwork net = network(builder, nwc, type);
        INDArray x = input(type, ((XlstmLayerConfig) net.getLayer(0).conf().getLayer()).getNIn(), nwc);
        INDArray mask = masked ? mask(type) : null;
        INDArray r = null;
        INDArray[] expected = null;
        for (String pieceLength : new String[] {"1000", piece}) {
            System.setProperty(PiecedTraining.PROPERTY, pieceLength);
            XlstmRecurrentLayer layer = (XlstmRecurrentLayer) net.getLayer(0);
            LayerWorkspaceMgr noWorkspaces = LayerWorkspaceMgr.noWorkspaces();
            layer.setInput(x, noWorkspaces);
            layer.feedForwardMaskArray(mask, null, MINIBATCH);
            INDArray output = layer.activate(true, noWorkspaces).dup();
            if (r == null) {
                r = Nd4j.randn(type, output.shape());
            }
            Pair<Gradient, INDArray> backprop = layer.backpropGradient(r, noWorkspaces);
            INDArray[] actual = {output, backprop.getSecond().dup(), backprop.getFirst().gradient().dup()};
            if (expected == null) {
                expected = actual;
            } else {
                String[] names = {"output", "input gradient", "parameter gradients"};
                for (int i = 0; i < names.length; i++) {
                    assertArrayEquals(expected[i].shape(), actual[i].shape(), what + ": " + names[i]);
                    double error = relative(expected[i], actual[i]);
                    assertTrue(error <= tolerance, what + ": " + names[i] + " relative error " + error);
                }
                for (String p : layer.paramTable().keySet()) {
                    // Each parameter on its own scale: small gradients are not hidden by large ones.
                    double error = relative(gradientOf(layer, expected[2], p), backprop.getFirst().getGradientFor(p));
                    assertTrue(error <= tolerance, what + ": gradient of " + p + " relative error " + error);
                }
            }
        }
    }

    /** The gradient of parameter {@code p} in a copy of the layer's flat gradient vector. */
    private static INDArray gradientOf(XlstmRecurrentLayer layer, INDArray flat, String p) {
        XlstmLayerConfig conf = (XlstmLayerConfig) layer.conf().getLayer();
        return conf.initializer().getGradientsFromFlattened(layer.conf(), flat).get(p);
    }

    private static MultiLayerNetwork network(MLSTMLayer.AbstractBuilder<?> builder, boolean nwc, DataType type) {
        XlstmLayerConfig layer = (XlstmLayerConfig) builder.dataFormat(nwc ? RNNFormat.NWC : RNNFormat.NCW).build();
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(12345).dataType(type)
                .updater(new NoOp()).list().layer(layer)
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .dataFormat(nwc ? RNNFormat.NWC : RNNFormat.NCW).nIn(layer.getNOut()).nOut(2).build())
                .build());
        net.init();
        net.initGradientsView();
        return net;
    }

    private static INDArray input(DataType type, long features, boolean nwc) {
        INDArray ncw = Nd4j.rand(DataType.DOUBLE, MINIBATCH, features, TIME).muli(2).subi(1).castTo(type);
        return nwc ? ncw.permute(0, 2, 1).dup('c') : ncw;
    }

    /** Row 0 complete, row 1 padded at the end (across a piece boundary), row 2 at the start. */
    private static INDArray mask(DataType type) {
        INDArray mask = Nd4j.ones(type, MINIBATCH, TIME);
        for (int t = 13; t < TIME; t++) {
            mask.putScalar(1, t, 0.0);
        }
        for (int t = 0; t < 3; t++) {
            mask.putScalar(2, t, 0.0);
        }
        return mask;
    }

    private static Map<String, INDArray> gradientsLike(Map<String, INDArray> params) {
        Map<String, INDArray> gradients = new HashMap<>();
        params.forEach((name, value) -> gradients.put(name, Nd4j.zeros(value.dataType(), value.shape())));
        return gradients;
    }

    private static INDArray steps(INDArray btf, long from, long to) {
        return btf.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup('c');
    }

    /** max |actual - expected| / max |expected|. */
    private static double relative(INDArray expected, INDArray actual) {
        double scale = expected.castTo(DataType.DOUBLE).amaxNumber().doubleValue();
        assertTrue(scale > 0, "all zeros");
        return actual.castTo(DataType.DOUBLE).sub(expected.castTo(DataType.DOUBLE)).amaxNumber().doubleValue() / scale;
    }
}
