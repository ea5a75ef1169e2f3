package org.xlstm.dl4j.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.xlstm.dl4j.integration.IntegrationSupport.input;
import static org.xlstm.dl4j.integration.IntegrationSupport.mask;
import static org.xlstm.dl4j.integration.IntegrationSupport.mlstmBlock;
import static org.xlstm.dl4j.integration.IntegrationSupport.mln;
import static org.xlstm.dl4j.integration.IntegrationSupport.slstmBlock;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.deeplearning4j.nn.gradient.Gradient;

/**
 * The runtime computes in its own reused workspaces (a per-layer one for the training forward, whose
 * values must survive until backprop; shared ones for inference and backward). Reuse must never change a
 * result: every gradient here is compared with the same computation in a network that has never run.
 */
class WorkspaceLifetimeTest {

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(7);
    }

    /** Shapes, masks and data types change between calls, as with variable-length batches. */
    @Test
    void gradientsDoNotDependOnWhatRanBefore() {
        MultiLayerNetwork used = mln(mlstmBlock(6), new Sgd(0.0));
        int[][] calls = {{3, 7}, {3, 7}, {2, 12}, {3, 7}, {4, 5}, {4, 5}};
        for (int i = 0; i < calls.length; i++) {
            int batch = calls[i][0];
            int time = calls[i][1];
            INDArray x = input(batch, 6, time);
            INDArray y = Nd4j.rand(DataType.DOUBLE, batch, IntegrationSupport.LABEL_SIZE, time);
            INDArray m = i % 2 == 0 ? null : mask(batch, time);
            INDArray expected = freshGradient(used, x, y, m);
            used.setLayerMaskArrays(m, m);
            used.setInput(x);
            used.setLabels(y);
            used.computeGradientAndScore();
            assertClose("call " + i + " " + batch + "x" + time, expected, used.gradient().gradient());
            used.clearLayerMaskArrays();
            used.output(input(5, 6, 9));
        }
    }

    /**
     * A layer's training forward, then whole forward and backward passes of other networks in the same
     * thread, then that layer's backprop: the values it kept must be the ones it computed.
     */
    @Test
    void keptValuesSurviveOtherNetworksRunningBeforeBackprop() {
        MultiLayerNetwork first = mln(slstmBlock(6, 4), new Sgd(0.0));
        MultiLayerNetwork other = mln(mlstmBlock(6), new Sgd(0.0));
        MultiLayerNetwork third = mln(slstmBlock(6, 4), new Sgd(0.0));
        INDArray x = input(3, 6, 8);
        INDArray epsilon = input(3, 6, 8);
        first.initGradientsView();
        Layer layer = first.getLayer(0);
        LayerWorkspaceMgr noWorkspaces = LayerWorkspaceMgr.noWorkspaces();

        layer.setInput(x, noWorkspaces);
        layer.activate(true, noWorkspaces);
        for (int i = 0; i < 3; i++) {
            other.fit(input(4, 6, 11), Nd4j.rand(DataType.DOUBLE, 4, IntegrationSupport.LABEL_SIZE, 11));
            third.fit(input(2, 6, 20), Nd4j.rand(DataType.DOUBLE, 2, IntegrationSupport.LABEL_SIZE, 20));
            third.output(input(3, 6, 8));
        }
        Pair<Gradient, INDArray> afterOthers = layer.backpropGradient(epsilon, noWorkspaces);
        INDArray gradientAfterOthers = afterOthers.getFirst().gradient().dup();
        INDArray dxAfterOthers = afterOthers.getSecond().dup();

        MultiLayerNetwork fresh = first.clone();
        fresh.initGradientsView();
        Layer reference = fresh.getLayer(0);
        reference.setInput(x, noWorkspaces);
        reference.activate(true, noWorkspaces);
        Pair<Gradient, INDArray> expected = reference.backpropGradient(epsilon, noWorkspaces);
        assertClose("parameter gradient", expected.getFirst().gradient(), gradientAfterOthers);
        assertClose("input gradient", expected.getSecond(), dxAfterOthers);
    }

    private static INDArray freshGradient(MultiLayerNetwork like, INDArray x, INDArray y, INDArray m) {
        MultiLayerNetwork fresh = new MultiLayerNetwork(like.getLayerWiseConfigurations().clone());
        fresh.init(like.params().dup(), true);
        fresh.setLayerMaskArrays(m, m);
        fresh.setInput(x);
        fresh.setLabels(y);
        fresh.computeGradientAndScore();
        return fresh.gradient().gradient().dup();
    }

    private static void assertClose(String what, INDArray expected, INDArray actual) {
        double scale = Math.max(1e-12, expected.amaxNumber().doubleValue());
        double error = expected.sub(actual).amaxNumber().doubleValue() / scale;
        assertEquals(0.0, error, 1e-12, what + ": max relative difference " + error);
    }
}
