package org.xlstm.dl4j.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMLayer;
import org.xlstm.dl4j.conf.XlstmLayerConfig;
import org.xlstm.dl4j.runtime.GatedFeedForwardModule;
import org.xlstm.dl4j.runtime.SLSTMBiasInit;

/** JSON round trips of the configurations; ModelSerializer round trips that keep outputs and training. */
class SerializationTest {
    private static final int MINIBATCH = 2;
    private static final int TIME = 5;
    private static final int STEPS = 3;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        Nd4j.getRandom().setSeed(IntegrationSupport.SEED);
    }

    /** Every layer type, with settings away from the defaults so that a dropped field shows. */
    static Stream<Arguments> layers() {
        return Stream.of(
                Arguments.of("mLSTM layer", (Supplier<XlstmLayerConfig>) () -> new MLSTMLayer.Builder()
                        .nIn(3).nOut(5).innerSize(8).numHeads(2).qkvBlockSize(2).convKernelSize(3).chunkSize(2)
                        .bias(true).numBlocks(3).name("m").build()),
                Arguments.of("mLSTM block", (Supplier<XlstmLayerConfig>) () -> new MLSTMBlock.Builder().size(4)
                        .innerSize(8).numHeads(2).qkvBlockSize(2).convKernelSize(2).chunkSize(3).name("mb").build()),
                Arguments.of("sLSTM layer", (Supplier<XlstmLayerConfig>) () -> new SLSTMLayer.Builder()
                        .nIn(3).nOut(4).numHeads(2).convKernelSize(0).biasInit(SLSTMBiasInit.SMALL_INIT)
                        .blockPosition(1, 3).name("s").build()),
                Arguments.of("sLSTM block", (Supplier<XlstmLayerConfig>) () -> new SLSTMBlock.Builder().size(4)
                        .numHeads(2).convKernelSize(2).ffnProjFactor(1.5)
                        .ffnActivation(GatedFeedForwardModule.Activation.SILU).ffnBias(true).name("sb")
                        .build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void jsonRoundTrip(String name, Supplier<XlstmLayerConfig> layer) {
        MultiLayerConfiguration mln = IntegrationSupport.mlnConf(layer.get(), new Adam(1e-2));
        MultiLayerConfiguration mlnBack = MultiLayerConfiguration.fromJson(mln.toJson());
        assertEquals(mln, mlnBack, name + ": MultiLayerConfiguration JSON round trip");
        assertEquals(mln.getConf(0).getLayer(), mlnBack.getConf(0).getLayer(), name + ": layer");
        ComputationGraphConfiguration graph = IntegrationSupport.graphConf(layer.get(), new Adam(1e-2));
        ComputationGraphConfiguration graphBack = ComputationGraphConfiguration.fromJson(graph.toJson());
        assertEquals(graph, graphBack, name + ": ComputationGraphConfiguration JSON round trip");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void multiLayerNetworkRestoreKeepsOutputsAndTraining(String name, Supplier<XlstmLayerConfig> layer)
            throws IOException {
        MultiLayerNetwork net = IntegrationSupport.mln(layer.get(), new Adam(1e-2));
        XlstmLayerConfig conf = (XlstmLayerConfig) net.getLayer(0).conf().getLayer();
        INDArray x = IntegrationSupport.input(MINIBATCH, conf.getNIn(), TIME);
        INDArray y = Nd4j.randn(DataType.DOUBLE, MINIBATCH, IntegrationSupport.LABEL_SIZE, TIME);
        INDArray mask = IntegrationSupport.mask(MINIBATCH, TIME);
        for (int i = 0; i < STEPS; i++) {
            net.fit(x, y, mask, mask);
        }
        File file = dir.resolve("mln.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
        assertEquals(net.getLayerWiseConfigurations(), restored.getLayerWiseConfigurations(), name + ": configuration");
        assertEquals(net.output(x, false, mask, mask), restored.output(x, false, mask, mask), name + ": outputs");
        for (int i = 0; i < STEPS; i++) {
            net.fit(x, y, mask, mask);
            restored.fit(x, y, mask, mask);
        }
        assertEquals(net.params(), restored.params(), name + ": parameters after training both further");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void computationGraphRestoreKeepsOutputsAndTraining(String name, Supplier<XlstmLayerConfig> layer)
            throws IOException {
        ComputationGraph net = IntegrationSupport.graph(layer.get(), new Adam(1e-2));
        XlstmLayerConfig conf = (XlstmLayerConfig) net.getLayer("xlstm").conf().getLayer();
        INDArray[] x = {IntegrationSupport.input(MINIBATCH, conf.getNIn(), TIME)};
        INDArray[] y = {Nd4j.randn(DataType.DOUBLE, MINIBATCH, IntegrationSupport.LABEL_SIZE, TIME)};
        INDArray[] mask = {IntegrationSupport.mask(MINIBATCH, TIME)};
        for (int i = 0; i < STEPS; i++) {
            net.fit(x, y, mask, mask);
        }
        File file = dir.resolve("graph.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(net.getConfiguration(), restored.getConfiguration(), name + ": configuration");
        assertEquals(net.output(false, x, mask, mask)[0], restored.output(false, x, mask, mask)[0], name + ": outputs");
        for (int i = 0; i < STEPS; i++) {
            net.fit(x, y, mask, mask);
            restored.fit(x, y, mask, mask);
        }
        assertEquals(net.params(), restored.params(), name + ": parameters after training both further");
    }
}
