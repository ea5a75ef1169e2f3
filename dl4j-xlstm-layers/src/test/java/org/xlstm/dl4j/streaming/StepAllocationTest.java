package org.xlstm.dl4j.streaming;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.XlstmLayerNorm;

/**
 * A long rnnTimeStep stream allocates no more ND4J buffers per step than DL4J's contract needs: each layer's output
 * array (its data, or its native wrapper inside DL4J's workspace, and its shape information: two buffers), and
 * nothing else: no copies, no per-step state or scratch arrays. Every ND4J buffer is native memory freed only after
 * a GC, so per-step buffers are what made the soak's off-heap memory creep. The counter is ND4J's own: every
 * DataBuffer takes the next value of the deallocator service's sequence.
 */
class StepAllocationTest {
    private static final int E = 32;
    private static final int WARM_UP = 200;
    private static final int STEPS = 2000;
    /** Per layer and step: the output array's data (or workspace wrapper) and its shape information. */
    private static final int BUFFERS_PER_OUTPUT = 2;

    static Stream<Arguments> stacks() {
        return Stream.of(
                Arguments.of("mLSTM block", List.of(new MLSTMBlock.Builder().numHeads(4).build())),
                Arguments.of("sLSTM block", List.of(new SLSTMBlock.Builder().numHeads(4).build())),
                Arguments.of("LayerNorm", List.of(new XlstmLayerNorm.Builder().build())),
                Arguments.of("mLSTM, sLSTM, mLSTM blocks, LayerNorm", List.of(
                        new MLSTMBlock.Builder().numHeads(4).build(), new SLSTMBlock.Builder().numHeads(4).build(),
                        new MLSTMBlock.Builder().numHeads(4).build(), new XlstmLayerNorm.Builder().build())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stacks")
    void stepsAllocateOnlyTheirOutputs(String name, List<Layer> layers) {
        NeuralNetConfiguration.ListBuilder builder = new NeuralNetConfiguration.Builder().seed(3)
                .dataType(DataType.FLOAT).updater(new NoOp()).list();
        layers.forEach(builder::layer);
        MultiLayerNetwork net = new MultiLayerNetwork(builder.setInputType(InputType.recurrent(E)).build());
        net.init();
        INDArray input = Nd4j.randn(DataType.FLOAT, 2, E, 1);
        for (int t = 0; t < WARM_UP; t++) {
            net.rnnTimeStep(input);
        }
        long before = Nd4j.getDeallocatorService().nextValue();
        for (int t = 0; t < STEPS; t++) {
            net.rnnTimeStep(input);
        }
        // Less the value this call takes itself.
        double perStep = (Nd4j.getDeallocatorService().nextValue() - before - 1) / (double) STEPS;
        double allowed = (double) BUFFERS_PER_OUTPUT * layers.size();
        assertTrue(perStep <= allowed, name + ": " + perStep + " ND4J buffers per rnnTimeStep, expected at most "
                + allowed + " (" + BUFFERS_PER_OUTPUT + " per layer output)");
    }
}
