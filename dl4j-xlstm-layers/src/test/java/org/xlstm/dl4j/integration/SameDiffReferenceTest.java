package org.xlstm.dl4j.integration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.xlstm.dl4j.conf.XlstmLayerConfig;
import org.xlstm.dl4j.runtime.XlstmRecurrentLayer;

/**
 * The hand-written runtime against the layer's SameDiff graph ({@code defineLayer}) differentiated by SameDiff:
 * outputs, every parameter gradient and the input gradient of sum(output * R), on the same parameter values.
 */
class SameDiffReferenceTest {
    private static final int MINIBATCH = 3;
    private static final int TIME = 7;
    /** Relative to the largest magnitude of the SameDiff value. */
    private static final double TOLERANCE = 1e-8;

    @BeforeEach
    void setUp() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        Nd4j.getRandom().setSeed(IntegrationSupport.SEED);
    }

    /**
     * mLSTM: parallel form (graph) vs chunkwise form (runtime, chunk 4 < T, so the carried state is used);
     * with the same stabilizer they differ only in the order of floating-point sums. sLSTM: the same recurrence.
     */
    static Stream<Arguments> layers() {
        return Stream.of(
                Arguments.of("mLSTM layer 3->5", (Supplier<XlstmLayerConfig>) () -> IntegrationSupport.mlstmLayer(3, 5)),
                Arguments.of("mLSTM block 4", (Supplier<XlstmLayerConfig>) () -> IntegrationSupport.mlstmBlock(4)),
                Arguments.of("sLSTM layer 4->4 conv 4", (Supplier<XlstmLayerConfig>) () -> IntegrationSupport.slstmLayer(4, 4, 4)),
                Arguments.of("sLSTM layer 3->4 conv 0", (Supplier<XlstmLayerConfig>) () -> IntegrationSupport.slstmLayer(3, 4, 0)),
                Arguments.of("sLSTM block 4", (Supplier<XlstmLayerConfig>) () -> IntegrationSupport.slstmBlock(4, 4)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void withoutMask(String name, Supplier<XlstmLayerConfig> conf) {
        compare(name, conf.get(), false);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void withMask(String name, Supplier<XlstmLayerConfig> conf) {
        compare(name, conf.get(), true);
    }

    private static void compare(String name, XlstmLayerConfig conf, boolean masked) {
        MultiLayerNetwork net = IntegrationSupport.mln(conf, new NoOp());
        net.initGradientsView();
        XlstmRecurrentLayer layer = (XlstmRecurrentLayer) net.getLayer(0);
        XlstmLayerConfig layerConf = (XlstmLayerConfig) layer.conf().getLayer();
        INDArray x = IntegrationSupport.input(MINIBATCH, layerConf.getNIn(), TIME);
        INDArray mask = masked ? IntegrationSupport.mask(MINIBATCH, TIME) : null;

        LayerWorkspaceMgr noWorkspaces = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(x, noWorkspaces);
        layer.feedForwardMaskArray(mask, null, MINIBATCH);
        INDArray output = layer.activate(true, noWorkspaces).dup();
        INDArray r = Nd4j.randn(DataType.DOUBLE, output.shape());
        Pair<Gradient, INDArray> backprop = layer.backpropGradient(r, noWorkspaces);

        SameDiff sd = SameDiff.create();
        SDVariable input = sd.var("input", x.dup());
        Map<String, SDVariable> params = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
            params.put(e.getKey(), sd.var(e.getKey(), e.getValue().dup()));
        }
        SDVariable sdMask = mask == null ? null : sd.constant("mask", mask.dup());
        SDVariable out = layerConf.defineLayer(sd, input, params, sdMask);
        SDVariable loss = out.mul(sd.constant("r", r)).sum();
        loss.markAsLoss();
        String[] wrt = new String[params.size() + 1];
        wrt[0] = "input";
        int i = 1;
        for (String p : params.keySet()) {
            wrt[i++] = p;
        }
        Map<String, INDArray> grads = sd.calculateGradients(null, wrt);

        String what = name + (masked ? " with mask" : " without mask");
        assertClose(what + ": output", out.eval(), output, TOLERANCE);
        assertClose(what + ": input gradient", grads.get("input"), backprop.getSecond(), TOLERANCE);
        for (String p : params.keySet()) {
            assertClose(what + ": gradient of " + p, grads.get(p), backprop.getFirst().getGradientFor(p), TOLERANCE);
        }
    }

    /** max |actual - expected| <= tolerance * max |expected|. */
    private static void assertClose(String what, INDArray expected, INDArray actual, double tolerance) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double scale = expected.amaxNumber().doubleValue();
        double error = actual.sub(expected).amaxNumber().doubleValue();
        assertTrue(scale > 0, what + ": all zeros");
        assertTrue(error <= tolerance * scale, what + ": max abs error " + error + " > " + tolerance + " * " + scale);
    }
}
