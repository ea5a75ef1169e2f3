package org.xlstm.dl4j.streaming;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
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
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMLayer;

/**
 * Truncated BPTT carries state through segment boundaries: a cue given only at the first step must be
 * reproduced at every later step. Within the first segment the loss teaches the layer to store the cue;
 * the second segment can only reproduce it when the state reached at the end of the first segment is the
 * initial state of the second, in the forward pass and in the backward pass that trains on it.
 */
class TruncatedBpttTest {
    private static final int SEGMENT = 6;
    private static final int BATCH = 16;
    /**
     * Seeded, but multi-threaded sums make runs differ in their last bits and training amplifies that: at
     * 250 iterations the mLSTM's second-segment RMSE ranged from 0.05 to 0.33 across runs of the same code
     * (threshold 0.3); 400 give the optimiser room to finish storing the cue.
     */
    private static final int ITERATIONS = 400;

    static Stream<String> layers() {
        return Stream.of("mlstm", "slstm");
    }

    private static Layer layer(String kind) {
        return "mlstm".equals(kind)
                ? new MLSTMLayer.Builder().nOut(16).innerSize(32).numHeads(4).qkvBlockSize(4).chunkSize(4).build()
                : new SLSTMLayer.Builder().nOut(16).numHeads(2).convKernelSize(0).build();
    }

    /**
     * Input channel 0: a +-1 cue at step 0, zeros after; channel 1: constant 1 (the official mLSTM layer has
     * no biases, so an all-zero input would close its output gate). Target: the cue at every later step.
     */
    private static DataSet task(long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray cue = Nd4j.rand(DataType.FLOAT, BATCH, 1).gt(0.5).castTo(DataType.FLOAT).muli(2).subi(1);
        INDArray x = Nd4j.zeros(DataType.FLOAT, BATCH, 2, 2 * SEGMENT);
        x.get(NDArrayIndex.all(), NDArrayIndex.point(1), NDArrayIndex.all()).assign(1);
        x.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 1), NDArrayIndex.point(0)).assign(cue);
        INDArray y = Nd4j.zeros(DataType.FLOAT, BATCH, 1, 2 * SEGMENT);
        for (int t = 1; t < 2 * SEGMENT; t++) {
            y.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t)).assign(cue);
        }
        return new DataSet(x, y);
    }

    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(11).dataType(DataType.FLOAT).updater(new Adam(2e-2));
    }

    /** Mean squared error over the second segment; always predicting 0 scores 1.0. */
    private static double secondSegmentError(INDArray predicted, INDArray target) {
        INDArray p = predicted.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(SEGMENT, 2 * SEGMENT));
        INDArray t = target.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(SEGMENT, 2 * SEGMENT));
        return p.sub(t).norm2Number().doubleValue() / Math.sqrt(t.length());
    }

    @ParameterizedTest
    @MethodSource("layers")
    void multiLayerNetworkLearnsAcrossSegments(String kind) {
        MultiLayerConfiguration conf = base().list().layer(layer(kind))
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build())
                .setInputType(InputType.recurrent(2)).backpropType(BackpropType.TruncatedBPTT)
                .tBPTTForwardLength(SEGMENT).tBPTTBackwardLength(SEGMENT).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        for (int i = 0; i < ITERATIONS; i++) {
            net.fit(task(i));
        }
        DataSet test = task(100_000);
        double rmse = Math.sqrt(secondSegmentError(net.output(test.getFeatures()), test.getLabels()));
        System.out.println("TBPTT MLN " + kind + ": second-segment RMSE " + rmse + " (0 = perfect, 1 = ignores the cue)");
        assertTrue(rmse < 0.3, kind + ": the cue was not carried across the segment boundary (RMSE " + rmse + ")");
    }

    @ParameterizedTest
    @MethodSource("layers")
    void computationGraphLearnsAcrossSegments(String kind) {
        ComputationGraphConfiguration conf = base().graphBuilder().addInputs("in")
                .addLayer("rnn", layer(kind), "in")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1)
                        .activation(Activation.IDENTITY).build(), "rnn")
                .setOutputs("out").setInputTypes(InputType.recurrent(2)).backpropType(BackpropType.TruncatedBPTT)
                .tBPTTForwardLength(SEGMENT).tBPTTBackwardLength(SEGMENT).build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        for (int i = 0; i < ITERATIONS; i++) {
            graph.fit(task(i));
        }
        DataSet test = task(100_000);
        double rmse = Math.sqrt(secondSegmentError(graph.outputSingle(test.getFeatures()), test.getLabels()));
        System.out.println("TBPTT CG " + kind + ": second-segment RMSE " + rmse);
        assertTrue(rmse < 0.3, kind + ": the cue was not carried across the segment boundary (RMSE " + rmse + ")");
    }
}
