package org.xlstm.dl4j.integration;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import java.util.stream.Stream;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.xlstm.dl4j.conf.XlstmLayerConfig;

/** DL4J's numerical gradient check on each xLSTM layer type, in both network types, with and without masks. */
class GradientCheckTest {
    private static final int MINIBATCH = 3;
    private static final int TIME = 6;
    /**
     * MultiLayerNetwork checks: entries per parameter array, spread over the array by DL4J, so every parameter
     * array is covered. M2.1's ComputationGraph check has no subset option and checks every entry.
     */
    private static final int MAX_PER_PARAM = 16;

    @BeforeEach
    void setUp() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        Nd4j.getRandom().setSeed(IntegrationSupport.SEED);
    }

    static Stream<Arguments> layers() {
        return Stream.of(
                layer("mLSTM layer 4->4", () -> IntegrationSupport.mlstmLayer(4, 4)),
                layer("mLSTM layer 3->5", () -> IntegrationSupport.mlstmLayer(3, 5)),
                layer("mLSTM block 4", () -> IntegrationSupport.mlstmBlock(4)),
                layer("sLSTM layer 4->4 conv 4", () -> IntegrationSupport.slstmLayer(4, 4, 4)),
                layer("sLSTM layer 4->4 conv 0", () -> IntegrationSupport.slstmLayer(4, 4, 0)),
                layer("sLSTM layer 3->4 conv 4", () -> IntegrationSupport.slstmLayer(3, 4, 4)),
                layer("sLSTM block 4 conv 4", () -> IntegrationSupport.slstmBlock(4, 4)),
                layer("sLSTM block 4 conv 0", () -> IntegrationSupport.slstmBlock(4, 0)));
    }

    private static Arguments layer(String name, Supplier<XlstmLayerConfig> conf) {
        return Arguments.of(name, conf);
    }

    /**
     * Labels a small distance from the network output: the score stays small, so its rounding error (which
     * the central difference divides by 2 epsilon) stays well below the gradients being checked.
     */
    private static INDArray nearbyLabels(INDArray output) {
        return output.add(Nd4j.randn(DataType.DOUBLE, output.shape()).muli(0.1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void multiLayerNetwork(String name, Supplier<XlstmLayerConfig> conf) {
        for (boolean masked : new boolean[] {false, true}) {
            XlstmLayerConfig layer = conf.get();
            MultiLayerNetwork net = IntegrationSupport.mln(layer, new NoOp());
            INDArray x = IntegrationSupport.input(MINIBATCH, layer.getNIn(), TIME);
            INDArray mask = masked ? IntegrationSupport.mask(MINIBATCH, TIME) : null;
            INDArray y = nearbyLabels(net.output(x, false, mask, mask));
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x)
                    .labels(y).inputMask(mask).labelMask(mask).epsilon(1e-6).maxRelError(1e-5)
                    .minAbsoluteError(1e-9).subset(true).maxPerParam(MAX_PER_PARAM));
            assertTrue(ok, name + (masked ? " with mask" : " without mask") + ": MultiLayerNetwork gradient check");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void computationGraph(String name, Supplier<XlstmLayerConfig> conf) {
        for (boolean masked : new boolean[] {false, true}) {
            XlstmLayerConfig layer = conf.get();
            ComputationGraph net = IntegrationSupport.graph(layer, new NoOp());
            INDArray x = IntegrationSupport.input(MINIBATCH, layer.getNIn(), TIME);
            INDArray[] mask = masked ? new INDArray[] {IntegrationSupport.mask(MINIBATCH, TIME)} : null;
            INDArray y = nearbyLabels(net.output(false, new INDArray[] {x}, mask, mask)[0]);
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                    .inputs(new INDArray[] {x}).labels(new INDArray[] {y}).inputMask(mask).labelMask(mask)
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).subset(true)
                    .maxPerParam(MAX_PER_PARAM));
            assertTrue(ok, name + (masked ? " with mask" : " without mask") + ": ComputationGraph gradient check");
        }
    }
}
