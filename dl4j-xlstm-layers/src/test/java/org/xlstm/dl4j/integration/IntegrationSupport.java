package org.xlstm.dl4j.integration;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMLayer;
import org.xlstm.dl4j.conf.XlstmLayerConfig;

/** Tiny xLSTM layers, networks around them and test data, shared by the integration tests. */
final class IntegrationSupport {
    static final long SEED = 12345;
    static final int LABEL_SIZE = 2;

    private IntegrationSupport() {
    }

    static MLSTMLayer mlstmLayer(long nIn, long nOut) {
        return new MLSTMLayer.Builder().nIn(nIn).nOut(nOut).innerSize(8).numHeads(2).qkvBlockSize(2).chunkSize(4)
                .build();
    }

    static MLSTMBlock mlstmBlock(long size) {
        return new MLSTMBlock.Builder().size(size).innerSize(8).numHeads(2).qkvBlockSize(2).chunkSize(4).build();
    }

    static SLSTMLayer slstmLayer(long nIn, long nOut, int convKernelSize) {
        return new SLSTMLayer.Builder().nIn(nIn).nOut(nOut).numHeads(2).convKernelSize(convKernelSize).build();
    }

    static SLSTMBlock slstmBlock(long size, int convKernelSize) {
        return new SLSTMBlock.Builder().size(size).numHeads(2).convKernelSize(convKernelSize).build();
    }

    static RnnOutputLayer outputLayer(long nIn) {
        return new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                .dataFormat(RNNFormat.NCW).nIn(nIn).nOut(LABEL_SIZE).build();
    }

    static MultiLayerConfiguration mlnConf(XlstmLayerConfig layer, IUpdater updater) {
        return new NeuralNetConfiguration.Builder().seed(SEED).dataType(DataType.DOUBLE).updater(updater).list()
                .layer(layer).layer(outputLayer(layer.getNOut())).build();
    }

    static ComputationGraphConfiguration graphConf(XlstmLayerConfig layer, IUpdater updater) {
        return new NeuralNetConfiguration.Builder().seed(SEED).dataType(DataType.DOUBLE).updater(updater)
                .graphBuilder().addInputs("in").addLayer("xlstm", layer, "in")
                .addLayer("out", outputLayer(layer.getNOut()), "xlstm").setOutputs("out").build();
    }

    static MultiLayerNetwork mln(XlstmLayerConfig layer, IUpdater updater) {
        MultiLayerNetwork net = new MultiLayerNetwork(mlnConf(layer, updater));
        net.init();
        return net;
    }

    static ComputationGraph graph(XlstmLayerConfig layer, IUpdater updater) {
        ComputationGraph net = new ComputationGraph(graphConf(layer, updater));
        net.init();
        return net;
    }

    /** NCW input [minibatch, features, time] with values in [-1, 1). */
    static INDArray input(int minibatch, long features, int time) {
        return Nd4j.rand(DataType.DOUBLE, minibatch, features, time).muli(2).subi(1);
    }

    /**
     * [minibatch, time] feature mask: row 0 complete, rows 1.. padded at the end by one step more each, and
     * the last row padded at the start instead (its first two steps missing).
     */
    static INDArray mask(int minibatch, int time) {
        INDArray mask = Nd4j.ones(DataType.DOUBLE, minibatch, time);
        for (int b = 1; b < minibatch - 1; b++) {
            for (int t = time - b; t < time; t++) {
                mask.putScalar(b, t, 0.0);
            }
        }
        mask.putScalar(minibatch - 1, 0, 0.0);
        mask.putScalar(minibatch - 1, 1, 0.0);
        return mask;
    }
}
