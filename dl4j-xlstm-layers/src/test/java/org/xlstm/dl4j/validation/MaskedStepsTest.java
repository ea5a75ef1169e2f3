package org.xlstm.dl4j.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMLayer;
import org.xlstm.dl4j.conf.TiedLanguageModelLayer;
import org.xlstm.dl4j.conf.XlstmLayerNorm;
import org.xlstm.dl4j.wrappers.XlstmBidirectional;

/**
 * One rule for every xLSTM layer and block, in both network types: a masked time step outputs exactly zero
 * (as DL4J's recurrent layers do), and a real step's output does not depend on what the masked steps held.
 */
class MaskedStepsTest {
    private static final int BATCH = 3;
    private static final int SIZE = 4;
    private static final int TIME = 6;
    private static final int VOCAB = 11;

    static Stream<Arguments> layers() {
        return Stream.of(
                layer("MLSTMLayer", () -> new MLSTMLayer.Builder().nIn(SIZE).nOut(SIZE).innerSize(8).numHeads(2)
                        .qkvBlockSize(2).chunkSize(4).build()),
                layer("MLSTMBlock", MaskedStepsTest::mlstmBlock),
                layer("SLSTMLayer", () -> new SLSTMLayer.Builder().nIn(SIZE).nOut(SIZE).numHeads(2).build()),
                layer("SLSTMBlock", () -> new SLSTMBlock.Builder().size(SIZE).numHeads(2).convKernelSize(2).build()),
                layer("XlstmLayerNorm", () -> new XlstmLayerNorm.Builder().size(SIZE).build()),
                layer("TiedLanguageModelLayer", () -> new TiedLanguageModelLayer.Builder().vocabSize(VOCAB)
                        .body(List.of(mlstmBlock())).build()),
                layer("XlstmBidirectional(SLSTMBlock)", () -> new XlstmBidirectional(Bidirectional.Mode.ADD,
                        new SLSTMBlock.Builder().size(SIZE).numHeads(2).build())));
    }

    private static MLSTMBlock mlstmBlock() {
        return new MLSTMBlock.Builder().size(SIZE).innerSize(8).numHeads(2).qkvBlockSize(2).chunkSize(4).build();
    }

    private static Arguments layer(String name, Supplier<Layer> layer) {
        return Arguments.of(name, layer);
    }

    private static boolean isLanguageModel(String name) {
        return name.startsWith("Tied");
    }

    private static INDArray input(String name, long seed) {
        Nd4j.getRandom().setSeed(seed);
        if (isLanguageModel(name)) {
            return Nd4j.rand(DataType.DOUBLE, BATCH, 1, TIME).muli(VOCAB).castTo(DataType.INT).castTo(DataType.DOUBLE);
        }
        return Nd4j.randn(DataType.DOUBLE, BATCH, SIZE, TIME);
    }

    /** Row 0 complete, row 1 padded at the end, row 2 at the start. */
    private static INDArray mask() {
        INDArray mask = Nd4j.ones(DataType.DOUBLE, BATCH, TIME);
        mask.get(NDArrayIndex.point(1), NDArrayIndex.interval(4, TIME)).assign(0);
        mask.get(NDArrayIndex.point(2), NDArrayIndex.interval(0, 2)).assign(0);
        return mask;
    }

    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.DOUBLE).updater(new NoOp());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void multiLayerNetwork(String name, Supplier<Layer> layer) {
        MultiLayerNetwork net = new MultiLayerNetwork(base().list().layer(layer.get()).build());
        net.init();
        INDArray mask = mask();
        INDArray x = input(name, 1);
        assertRule(name + " in a MultiLayerNetwork", x, mask, net.output(x, false, mask, null),
                net.output(withOtherMaskedSteps(name, x, mask), false, mask, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void computationGraph(String name, Supplier<Layer> layer) {
        ComputationGraph graph = new ComputationGraph(base().graphBuilder().addInputs("in")
                .addLayer("layer", layer.get(), "in").setOutputs("layer").build());
        graph.init();
        INDArray[] mask = {mask()};
        INDArray x = input(name, 1);
        assertRule(name + " in a ComputationGraph", x, mask[0],
                graph.output(false, new INDArray[] {x}, mask)[0],
                graph.output(false, new INDArray[] {withOtherMaskedSteps(name, x, mask[0])}, mask)[0]);
    }

    /** {@code x} with different values on the masked steps. */
    private static INDArray withOtherMaskedSteps(String name, INDArray x, INDArray mask) {
        INDArray other = input(name, 2);
        INDArray keep = mask.reshape(BATCH, 1, TIME);
        return x.mul(keep).addi(other.mul(keep.rsub(1)));
    }

    private static void assertRule(String what, INDArray x, INDArray mask, INDArray out, INDArray outOther) {
        assertEquals(3, out.rank(), what);
        for (int b = 0; b < BATCH; b++) {
            for (int t = 0; t < TIME; t++) {
                INDArray step = out.get(NDArrayIndex.point(b), NDArrayIndex.all(), NDArrayIndex.point(t));
                INDArray stepOther = outOther.get(NDArrayIndex.point(b), NDArrayIndex.all(), NDArrayIndex.point(t));
                if (mask.getDouble(b, t) == 0) {
                    assertEquals(0.0, step.amaxNumber().doubleValue(), what + ": masked step " + b + "," + t
                            + " outputs " + step);
                } else {
                    assertNotEquals(0.0, step.amaxNumber().doubleValue(), what + ": real step " + b + "," + t);
                    assertEquals(step, stepOther, what + ": real step " + b + "," + t
                            + " depends on the masked steps' values");
                }
            }
        }
    }
}
