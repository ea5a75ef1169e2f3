package org.xlstm.dl4j.dropin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xlstm.dl4j.dropin.DropinSupport.LABELS;
import static org.xlstm.dl4j.dropin.DropinSupport.SEED;
import static org.xlstm.dl4j.dropin.DropinSupport.SIZE;
import static org.xlstm.dl4j.dropin.DropinSupport.assertClose;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.rnn.ReverseTimeSeriesVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional.Mode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.deeplearning4j.util.TimeSeriesUtils;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.XlstmLayerConfig;
import org.xlstm.dl4j.wrappers.XlstmBidirectional;
import org.xlstm.dl4j.wrappers.XlstmLastTimeStep;

/**
 * {@link XlstmBidirectional} (all modes) and {@link XlstmLastTimeStep}: outputs against running the layer by hand,
 * gradient checks with masks in MultiLayerNetwork and ComputationGraph, JSON and ModelSerializer round trips, the
 * updater message; and the ComputationGraph bidirectional route without a wrapper.
 */
class WrapperTest {
    private static final int MINIBATCH = 3;
    private static final int TIME = 5;

    @BeforeEach
    void setUp() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        Nd4j.getRandom().setSeed(SEED);
    }

    /** Each mode with a different layer type, so that every mode and every type is covered. */
    static Stream<Arguments> modes() {
        return Stream.of(Arguments.of(Mode.CONCAT, "slstmLayer"), Arguments.of(Mode.ADD, "mlstmLayer"),
                Arguments.of(Mode.MUL, "mlstmBlock"), Arguments.of(Mode.AVERAGE, "slstmBlock"));
    }

    /** The wrapped layer carries its own updater: DL4J does not pass the global one into Bidirectional. */
    private static XlstmLayerConfig inner(String kind, IUpdater updater) {
        XlstmLayerConfig layer = DropinSupport.layer(kind);
        layer.setUpdater(updater);
        return layer;
    }

    private static MultiLayerNetwork mln(Layer first, long firstOut, boolean sequenceOutput, IUpdater updater) {
        Layer out = sequenceOutput ? DropinSupport.rnnOutput(firstOut, RNNFormat.NCW)
                : new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .nIn(firstOut).nOut(LABELS).build();
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(SEED)
                .dataType(DataType.DOUBLE).updater(updater).list().layer(first).layer(out).build());
        net.init();
        return net;
    }

    private static ComputationGraph graph(Layer first, long firstOut, boolean sequenceOutput, IUpdater updater) {
        Layer out = sequenceOutput ? DropinSupport.rnnOutput(firstOut, RNNFormat.NCW)
                : new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .nIn(firstOut).nOut(LABELS).build();
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(SEED)
                .dataType(DataType.DOUBLE).updater(updater).graphBuilder().addInputs("in")
                .addLayer("wrapped", first, "in").addLayer("out", out, "wrapped").setOutputs("out").build());
        net.init();
        return net;
    }

    private static INDArray nearby(INDArray output) {
        return output.add(Nd4j.randn(DataType.DOUBLE, output.shape()).muli(0.1));
    }

    private static void gradientCheck(MultiLayerNetwork net, INDArray x, INDArray mask, boolean sequenceOutput,
                                      String what) {
        INDArray labelMask = sequenceOutput ? mask : null;
        INDArray y = nearby(net.output(x, false, mask, labelMask));
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x).labels(y)
                .inputMask(mask).labelMask(labelMask).epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)
                .subset(true).maxPerParam(6)), what + ": MultiLayerNetwork gradient check");
    }

    private static void gradientCheck(ComputationGraph net, INDArray x, INDArray mask, boolean sequenceOutput,
                                      String what) {
        INDArray[] masks = {mask};
        INDArray[] labelMasks = sequenceOutput ? masks : null;
        INDArray y = nearby(net.output(false, new INDArray[] {x}, masks, labelMasks)[0]);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {x}).labels(new INDArray[] {y}).inputMask(masks).labelMask(labelMasks)
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9).subset(true).maxPerParam(12)),
                what + ": ComputationGraph gradient check");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("modes")
    void bidirectionalGradientChecks(Mode mode, String kind) {
        XlstmBidirectional bi = new XlstmBidirectional(mode, inner(kind, new NoOp()));
        INDArray x = DropinSupport.input(DataType.DOUBLE, MINIBATCH, SIZE, TIME);
        INDArray mask = DropinSupport.mask(DataType.DOUBLE, MINIBATCH, TIME);
        gradientCheck(mln(bi, bi.getNOut(), true, new NoOp()), x, mask, true, mode + " " + kind);
        if (mode == Mode.CONCAT) {
            // M2.1's ComputationGraph check has no subset option: once, with the smallest layer.
            gradientCheck(graph(new XlstmBidirectional(mode, inner(kind, new NoOp())), bi.getNOut(), true,
                    new NoOp()), x, mask, true, mode + " " + kind);
        }
    }

    /** Output of a single xLSTM layer with the given parameters (NCW or NWC as the layer is configured). */
    private static INDArray alone(XlstmLayerConfig conf, INDArray params, INDArray row, INDArray mask) {
        MultiLayerNetwork single = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .list().layer(conf.clone()).build());
        single.init(params.dup(), false);
        return single.output(row, false, mask, null);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("modes")
    void bidirectionalCombinesForwardAndReversedRuns(Mode mode, String kind) {
        XlstmLayerConfig layer = inner(kind, new NoOp());
        MultiLayerNetwork net = mln(new XlstmBidirectional(mode, layer), mode == Mode.CONCAT ? 2 * SIZE : SIZE, true,
                new NoOp());
        INDArray x = DropinSupport.input(DataType.DOUBLE, MINIBATCH, SIZE, TIME);
        INDArray mask = DropinSupport.mask(DataType.DOUBLE, MINIBATCH, TIME);
        net.setLayerMaskArrays(mask, null);
        INDArray out = net.feedForward(x, false).get(1);
        INDArray params = net.getLayer(0).params().dup();
        long half = params.length() / 2;
        INDArray fwdParams = params.get(NDArrayIndex.interval(0, half)).reshape(1, half);
        INDArray bwdParams = params.get(NDArrayIndex.interval(half, 2 * half)).reshape(1, half);
        int[][] rows = {{0, TIME}, {0, TIME - 2}, {2, TIME}};
        for (int b = 0; b < MINIBATCH; b++) {
            int start = rows[b][0];
            int end = rows[b][1];
            INDArray seq = x.get(NDArrayIndex.interval(b, b + 1), NDArrayIndex.all(), NDArrayIndex.interval(start, end));
            INDArray f = alone(layer, fwdParams, seq, null);
            INDArray r = alone(layer, bwdParams, TimeSeriesUtils.reverseTimeSeries(seq.dup()), null);
            INDArray back = TimeSeriesUtils.reverseTimeSeries(r);
            INDArray expected;
            switch (mode) {
                case CONCAT:
                    expected = Nd4j.concat(1, f, back);
                    break;
                case ADD:
                    expected = f.add(back);
                    break;
                case MUL:
                    expected = f.mul(back);
                    break;
                default:
                    expected = f.add(back).muli(0.5);
            }
            INDArray actual = out.get(NDArrayIndex.interval(b, b + 1), NDArrayIndex.all(),
                    NDArrayIndex.interval(start, end));
            assertClose(expected, actual, 1e-10, mode + " " + kind + " row " + b);
        }
    }

    @Test
    void lastTimeStepPicksLastUnmaskedStep() {
        for (RNNFormat format : RNNFormat.values()) {
            XlstmLayerConfig layer = DropinSupport.layer("slstmLayer", format, false);
            MultiLayerNetwork net = mln(new XlstmLastTimeStep(layer), SIZE, false, new NoOp());
            long[] shape = format == RNNFormat.NCW ? new long[] {MINIBATCH, SIZE, TIME}
                    : new long[] {MINIBATCH, TIME, SIZE};
            INDArray x = DropinSupport.input(DataType.DOUBLE, shape);
            INDArray mask = DropinSupport.mask(DataType.DOUBLE, MINIBATCH, TIME);
            net.setLayerMaskArrays(mask, null);
            INDArray last = net.feedForward(x, false).get(1);
            INDArray full = alone(layer, net.getLayer(0).params(), x, mask);
            int[] lastSteps = {TIME - 1, TIME - 3, TIME - 1};
            for (int b = 0; b < MINIBATCH; b++) {
                INDArray expected = format == RNNFormat.NCW
                        ? full.get(NDArrayIndex.point(b), NDArrayIndex.all(), NDArrayIndex.point(lastSteps[b]))
                        : full.get(NDArrayIndex.point(b), NDArrayIndex.point(lastSteps[b]), NDArrayIndex.all());
                assertClose(expected.reshape(1, SIZE), last.getRow(b, true), 0.0, format + " row " + b);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("org.xlstm.dl4j.dropin.DropinSupport#kinds")
    void lastTimeStepGradientChecks(String kind) {
        for (RNNFormat format : RNNFormat.values()) {
            long[] shape = format == RNNFormat.NCW ? new long[] {MINIBATCH, SIZE, TIME}
                    : new long[] {MINIBATCH, TIME, SIZE};
            INDArray x = DropinSupport.input(DataType.DOUBLE, shape);
            INDArray mask = DropinSupport.mask(DataType.DOUBLE, MINIBATCH, TIME);
            gradientCheck(mln(new XlstmLastTimeStep(DropinSupport.layer(kind, format, false)), SIZE, false,
                    new NoOp()), x, mask, false, kind + " " + format);
            if (kind.equals("slstmLayer")) {
                // M2.1's ComputationGraph check has no subset option: only with the smallest layer.
                gradientCheck(graph(new XlstmLastTimeStep(DropinSupport.layer(kind, format, false)), SIZE, false,
                        new NoOp()), x, mask, false, kind + " " + format);
            }
        }
    }

    @Test
    void jsonAndModelSerializerRoundTrips(@TempDir Path dir) throws Exception {
        INDArray x = DropinSupport.input(DataType.DOUBLE, MINIBATCH, SIZE, TIME);
        INDArray mask = DropinSupport.mask(DataType.DOUBLE, MINIBATCH, TIME);
        List<Supplier<Layer>> wrappers = Arrays.asList(
                () -> new XlstmBidirectional(Mode.ADD, inner("mlstmLayer", new Adam(1e-2))),
                () -> new XlstmLastTimeStep(DropinSupport.layer("slstmBlock")));
        boolean[] sequenceOutput = {true, false};
        for (int i = 0; i < wrappers.size(); i++) {
            String what = wrappers.get(i).get().getClass().getSimpleName();
            MultiLayerNetwork net = mln(wrappers.get(i).get(), SIZE, sequenceOutput[i], new Adam(1e-2));
            MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
            assertEquals(conf, MultiLayerConfiguration.fromJson(conf.toJson()), what + " MLN JSON");
            INDArray labelMask = sequenceOutput[i] ? mask : null;
            INDArray y = nearby(net.output(x, false, mask, labelMask));
            net.fit(x, y, mask, labelMask);
            File file = dir.resolve(what + ".zip").toFile();
            ModelSerializer.writeModel(net, file, true);
            MultiLayerNetwork restored = MultiLayerNetwork.load(file, true);
            assertClose(net.output(x, false, mask, labelMask), restored.output(x, false, mask, labelMask), 0.0,
                    what + " MLN restored output");
            assertEquals(net.getUpdater().getStateViewArray(), restored.getUpdater().getStateViewArray(),
                    what + " MLN updater state");

            ComputationGraph graph = graph(wrappers.get(i).get(), SIZE, sequenceOutput[i], new Adam(1e-2));
            ComputationGraphConfiguration graphConf = graph.getConfiguration();
            assertEquals(graphConf, ComputationGraphConfiguration.fromJson(graphConf.toJson()), what + " CG JSON");
            File graphFile = dir.resolve(what + "-graph.zip").toFile();
            ModelSerializer.writeModel(graph, graphFile, true);
            ComputationGraph restoredGraph = ComputationGraph.load(graphFile, true);
            INDArray[] masks = {mask};
            INDArray[] labelMasks = sequenceOutput[i] ? masks : null;
            assertClose(graph.output(false, new INDArray[] {x}, masks, labelMasks)[0],
                    restoredGraph.output(false, new INDArray[] {x}, masks, labelMasks)[0], 0.0,
                    what + " CG restored output");
        }
    }

    @Test
    void bidirectionalWithoutInnerUpdaterFailsClearly() {
        INDArray x = DropinSupport.input(DataType.DOUBLE, MINIBATCH, SIZE, TIME);
        INDArray y = DropinSupport.input(DataType.DOUBLE, MINIBATCH, LABELS, TIME);
        MultiLayerNetwork net = mln(new XlstmBidirectional(Mode.ADD, DropinSupport.layer("slstmLayer")), SIZE, true,
                new Adam(1e-2));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.fit(x, y));
        assertTrue(e.getMessage().contains("set .updater(...)") && e.getMessage().contains("SLSTMLayer"),
                e.getMessage());

        MultiLayerNetwork withUpdater = mln(new XlstmBidirectional(Mode.ADD, inner("slstmLayer", new Adam(1e-2))),
                SIZE, true, new Adam(1e-2));
        INDArray before = withUpdater.getLayer(0).params().dup();
        withUpdater.fit(x, y);
        assertTrue(withUpdater.getLayer(0).params().sub(before).amaxNumber().doubleValue() > 0,
                "the wrapped layers train with their own updater");
    }

    /** ComputationGraph route without a wrapper: mask-aware ReverseTimeSeriesVertex and MergeVertex. */
    @Test
    void graphBidirectionalWithReverseTimeSeriesVertex() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(SEED).dataType(DataType.DOUBLE)
                .updater(new NoOp()).graphBuilder().addInputs("in")
                .setInputTypes(InputType.recurrent(SIZE))
                .addLayer("fwd", DropinSupport.layer("mlstmLayer"), "in")
                .addVertex("reversedIn", new ReverseTimeSeriesVertex("in"), "in")
                .addLayer("bwdReversed", DropinSupport.layer("slstmLayer"), "reversedIn")
                .addVertex("bwd", new ReverseTimeSeriesVertex("in"), "bwdReversed")
                .addVertex("merged", new MergeVertex(), "fwd", "bwd")
                .addLayer("out", DropinSupport.rnnOutput(2 * SIZE, RNNFormat.NCW), "merged")
                .setOutputs("out").build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        INDArray x = DropinSupport.input(DataType.DOUBLE, MINIBATCH, SIZE, TIME);
        INDArray mask = DropinSupport.mask(DataType.DOUBLE, MINIBATCH, TIME);
        gradientCheck(net, x, mask, true, "ReverseTimeSeriesVertex + MergeVertex");
    }
}
