package org.xlstm.dl4j.streaming;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import java.util.stream.Stream;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMLayer;

/**
 * A batch of variable-length sequences, padded at the end or at the start, gives at every real step the
 * outputs of each sequence run alone, and parameter gradients equal to the sum of the single-sequence
 * gradients; padded steps leave the recurrent state unchanged.
 */
class MaskedBatchTest {
    private static final int N_IN = 5;
    private static final int T = 9;
    /** Per row: first real step and length. Row 1 is padded at the start, row 2 at both ends. */
    private static final int[][] ROWS = {{0, 9}, {3, 6}, {0, 4}, {2, 5}};

    static Stream<String> layers() {
        return Stream.of("mlstmLayer", "mlstmBlock", "slstmLayer", "slstmBlock");
    }

    private static org.deeplearning4j.nn.conf.layers.Layer layer(String kind) {
        switch (kind) {
            case "mlstmLayer":
                return new MLSTMLayer.Builder().nOut(6).innerSize(8).numHeads(2).qkvBlockSize(2).chunkSize(4).build();
            case "mlstmBlock":
                return new MLSTMBlock.Builder().innerSize(8).numHeads(2).qkvBlockSize(2).chunkSize(3).build();
            case "slstmLayer":
                return new SLSTMLayer.Builder().nOut(6).numHeads(2).build();
            default:
                return new SLSTMBlock.Builder().numHeads(1).build();
        }
    }

    @ParameterizedTest
    @MethodSource("layers")
    void paddedBatchEqualsSequencesAlone(String kind) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.DOUBLE).updater(new NoOp()).list().layer(layer(kind))
                .setInputType(InputType.recurrent(N_IN)).build());
        net.init();
        net.initGradientsView();
        Layer layer = net.getLayer(0);
        INDArray x = Nd4j.randn(DataType.DOUBLE, ROWS.length, N_IN, T);
        INDArray mask = Nd4j.zeros(DataType.DOUBLE, ROWS.length, T);
        for (int r = 0; r < ROWS.length; r++) {
            mask.get(NDArrayIndex.point(r), NDArrayIndex.interval(ROWS[r][0], ROWS[r][0] + ROWS[r][1])).assign(1);
        }
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.feedForwardMaskArray(mask, MaskState.Active, ROWS.length);
        INDArray batchOut = layer.activate(x, true, mgr).dup();
        INDArray epsilon = Nd4j.randn(DataType.DOUBLE, batchOut.shape()).muli(mask.reshape(ROWS.length, 1, T));
        Pair<Gradient, INDArray> batchGrad = layer.backpropGradient(epsilon, mgr);
        INDArray batchParamsGrad = layer.getGradientsViewArray().dup();
        INDArray batchInputGrad = batchGrad.getSecond().dup();

        INDArray summed = Nd4j.zeros(DataType.DOUBLE, batchParamsGrad.shape());
        for (int r = 0; r < ROWS.length; r++) {
            int from = ROWS[r][0];
            int to = from + ROWS[r][1];
            INDArray alone = x.get(NDArrayIndex.interval(r, r + 1), NDArrayIndex.all(), NDArrayIndex.interval(from, to)).dup();
            layer.feedForwardMaskArray(null, MaskState.Active, 1);
            INDArray out = layer.activate(alone, true, mgr).dup();
            INDArray expected = batchOut.get(NDArrayIndex.interval(r, r + 1), NDArrayIndex.all(), NDArrayIndex.interval(from, to));
            assertClose(expected, out, kind + " row " + r + " outputs");
            INDArray eps = epsilon.get(NDArrayIndex.interval(r, r + 1), NDArrayIndex.all(), NDArrayIndex.interval(from, to)).dup();
            Pair<Gradient, INDArray> g = layer.backpropGradient(eps, mgr);
            summed.addi(layer.getGradientsViewArray());
            assertClose(batchInputGrad.get(NDArrayIndex.interval(r, r + 1), NDArrayIndex.all(),
                    NDArrayIndex.interval(from, to)), g.getSecond(), kind + " row " + r + " input gradient");
        }
        assertClose(batchParamsGrad, summed, kind + " parameter gradients");

        // padded steps at the end leave the state where the last real step left it
        RecurrentLayer recurrent = (RecurrentLayer) layer;
        INDArray prefix = x.get(NDArrayIndex.interval(0, 1), NDArrayIndex.all(), NDArrayIndex.interval(0, 4)).dup();
        INDArray padded = Nd4j.randn(DataType.DOUBLE, 1, N_IN, T);
        padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, 4)).assign(prefix);
        INDArray prefixMask = Nd4j.zeros(DataType.DOUBLE, 1, T);
        prefixMask.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 4)).assign(1);
        recurrent.rnnClearPreviousState();
        layer.feedForwardMaskArray(prefixMask, MaskState.Active, 1);
        recurrent.rnnTimeStep(padded, mgr);
        Map<String, INDArray> afterPadding = recurrent.rnnGetPreviousState();
        recurrent.rnnClearPreviousState();
        layer.feedForwardMaskArray(null, MaskState.Active, 1);
        recurrent.rnnTimeStep(prefix, mgr);
        Map<String, INDArray> afterPrefix = recurrent.rnnGetPreviousState();
        assertEquals(afterPrefix.keySet(), afterPadding.keySet());
        for (String key : afterPrefix.keySet()) {
            assertClose(afterPrefix.get(key), afterPadding.get(key), kind + " state '" + key + "' after padding");
        }
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        double scale = Math.max(1.0, expected.amaxNumber().doubleValue());
        double error = expected.sub(actual.reshape(expected.shape())).amaxNumber().doubleValue();
        assertTrue(error < 1e-9 * scale, what + ": max difference " + error);
    }
}
