package org.xlstm.dl4j.memory;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMBlock;

/** The small mixed stack (mLSTM block, sLSTM block, mLSTM block) the memory tests run, float32. */
final class MemoryNetworks {
    static final int WIDTH = 32;
    static final long SEED = 42;

    private MemoryNetworks() {
    }

    static MultiLayerNetwork mixedStack(RNNFormat format) {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(SEED)
                .dataType(DataType.FLOAT).updater(new Adam(1e-3)).list()
                .layer(new MLSTMBlock.Builder().size(WIDTH).dataFormat(format).build())
                .layer(new SLSTMBlock.Builder().size(WIDTH).dataFormat(format).build())
                .layer(new MLSTMBlock.Builder().size(WIDTH).dataFormat(format).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                        .dataFormat(format).nIn(WIDTH).nOut(WIDTH).build())
                .build());
        net.init();
        return net;
    }

    /** NCW input [batch, WIDTH, time] in [-1, 1). */
    static INDArray input(long batch, long time) {
        return Nd4j.rand(DataType.FLOAT, batch, WIDTH, time).muli(2).subi(1);
    }
}
