package org.xlstm.dl4j.streaming;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
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

/**
 * rnnTimeStep one step at a time and in uneven chunks equals the full-sequence output, in a
 * MultiLayerNetwork and a ComputationGraph; state can be saved, restored and cleared.
 */
class StreamingTest {
    private static final int N_IN = 6;
    private static final int T = 23;
    private static final int[] CHUNKS = {1, 7, 3, 1, 5, 6};

    static Stream<String> layers() {
        return Stream.of("mlstmLayer", "mlstmBlock", "slstmLayer", "slstmBlock");
    }

    private static Layer layer(String kind) {
        switch (kind) {
            case "mlstmLayer":
                return new MLSTMLayer.Builder().nOut(8).innerSize(16).numHeads(2).qkvBlockSize(4).chunkSize(4).build();
            case "mlstmBlock":
                return new MLSTMBlock.Builder().innerSize(16).numHeads(2).qkvBlockSize(4).chunkSize(5).build();
            case "slstmLayer":
                return new SLSTMLayer.Builder().nOut(8).numHeads(2).build();
            default:
                return new SLSTMBlock.Builder().numHeads(2).build();
        }
    }

    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.DOUBLE).updater(new Adam(1e-3));
    }

    @ParameterizedTest
    @MethodSource("layers")
    void multiLayerNetworkStreamsLikeTheFullSequence(String kind) {
        MultiLayerNetwork net = new MultiLayerNetwork(base().list()
                .layer(layer(kind)).layer(layer(kind))
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3).activation(Activation.IDENTITY).build())
                .setInputType(InputType.recurrent(N_IN)).build());
        net.init();
        INDArray x = Nd4j.randn(DataType.DOUBLE, 3, N_IN, T);
        INDArray full = net.output(x);

        net.rnnClearPreviousState();
        assertStreamsEqual(full, x, net::rnnTimeStep, CHUNKS);
        net.rnnClearPreviousState();
        assertStreamsEqual(full, x, net::rnnTimeStep, new int[] {T});

        // save the state after 10 steps, run on, restore, and the rest of the sequence is reproduced
        net.rnnClearPreviousState();
        net.rnnTimeStep(window(x, 0, 10));
        Map<String, INDArray> saved = net.rnnGetPreviousState(0);
        Map<String, INDArray> saved1 = net.rnnGetPreviousState(1);
        net.rnnTimeStep(Nd4j.randn(DataType.DOUBLE, 3, N_IN, 4));
        net.rnnSetPreviousState(0, saved);
        net.rnnSetPreviousState(1, saved1);
        assertClose(window(full, 10, T), net.rnnTimeStep(window(x, 10, T)), kind + " restored state");

        // cleared state starts over
        net.rnnClearPreviousState();
        assertClose(window(full, 0, 5), net.rnnTimeStep(window(x, 0, 5)), kind + " cleared state");
    }

    @ParameterizedTest
    @MethodSource("layers")
    void computationGraphStreamsLikeTheFullSequence(String kind) {
        ComputationGraphConfiguration conf = base().graphBuilder().addInputs("in")
                .addLayer("rnn", layer(kind), "in")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                        .activation(Activation.IDENTITY).build(), "rnn")
                .setOutputs("out").setInputTypes(InputType.recurrent(N_IN)).build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, N_IN, T);
        INDArray full = graph.outputSingle(x);
        graph.rnnClearPreviousState();
        assertStreamsEqual(full, x, in -> graph.rnnTimeStep(in)[0], CHUNKS);
    }

    private interface Stepper {
        INDArray step(INDArray input);
    }

    private static void assertStreamsEqual(INDArray full, INDArray x, Stepper stepper, int[] chunks) {
        int t = 0;
        int i = 0;
        while (t < T) {
            int len = Math.min(chunks[i++ % chunks.length], T - t);
            INDArray out = stepper.step(window(x, t, t + len));
            INDArray expected = window(full, t, t + len);
            assertClose(expected, out.reshape(expected.shape()), "steps " + t + ".." + (t + len));
            t += len;
        }
    }

    private static INDArray window(INDArray x, int from, int to) {
        return x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to)).dup();
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        double error = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(error < 1e-9, what + ": max difference " + error);
    }
}
