package org.xlstm.samples.scaleout;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMLayer;

/** Small xLSTM networks for {@link WaveTask}, as a MultiLayerNetwork and as a ComputationGraph. */
public final class WaveNetworks {
    private static final int WIDTH = 16;
    private static final double LEARNING_RATE = 1e-2;

    private WaveNetworks() {
    }

    /** mLSTM layer, sLSTM layer, linear read-out (MSE). */
    public static MultiLayerConfiguration multiLayer(long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .updater(new Adam(LEARNING_RATE)).list()
                .layer(mlstm()).layer(slstm()).layer(readOut())
                .build();
    }

    /** The same layers as {@link #multiLayer} in a graph, with the read-out also seeing the mLSTM output. */
    public static ComputationGraphConfiguration graph(long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .updater(new Adam(LEARNING_RATE)).graphBuilder()
                .addInputs("wave")
                .addLayer("mlstm", mlstm(), "wave")
                .addLayer("slstm", slstm(), "mlstm")
                .addLayer("next", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(2 * WIDTH)
                        .nOut(WaveTask.FEATURES).activation(Activation.IDENTITY).dataFormat(RNNFormat.NCW).build(),
                        "mlstm", "slstm")
                .setOutputs("next")
                .build();
    }

    /** The network's mean squared error on {@code data} (DL4J's score, with no regularisation configured). */
    public static double score(Model net, DataSet data) {
        if (net instanceof MultiLayerNetwork) {
            return ((MultiLayerNetwork) net).score(data);
        }
        if (net instanceof ComputationGraph) {
            return ((ComputationGraph) net).score(data);
        }
        throw new IllegalArgumentException("expected a MultiLayerNetwork or ComputationGraph, got " + net.getClass().getName());
    }

    private static MLSTMLayer mlstm() {
        return new MLSTMLayer.Builder().nIn(WaveTask.FEATURES).nOut(WIDTH).innerSize(WIDTH).numHeads(2)
                .qkvBlockSize(4).chunkSize(8).build();
    }

    private static SLSTMLayer slstm() {
        return new SLSTMLayer.Builder().nIn(WIDTH).nOut(WIDTH).numHeads(2).build();
    }

    private static RnnOutputLayer readOut() {
        return new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(WIDTH).nOut(WaveTask.FEATURES)
                .activation(Activation.IDENTITY).dataFormat(RNNFormat.NCW).build();
    }
}
