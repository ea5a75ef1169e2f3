package org.xlstm.samples.bench;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.XlstmLayerNorm;

/** The benchmarked networks: a sequence model, then an MSE {@link RnnOutputLayer} back to the embedding size. */
final class Models {

    static final int HEADS = 4;
    static final int CHUNK = 64;
    static final int CONV_KERNEL = 4;
    static final int QKV_BLOCK = 4;
    private static final long SEED = 12345;

    private Models() {
    }

    /** A benchmarked network and what it is. */
    static final class Model {
        final String name;
        final MultiLayerNetwork net;
        final long sequenceParams;
        final boolean recurrent;

        Model(String name, MultiLayerNetwork net, boolean recurrent) {
            this.name = name;
            this.net = net;
            this.recurrent = recurrent;
            long p = 0;
            for (int i = 0; i < net.getnLayers() - 1; i++) {
                p += net.getLayer(i).numParams();
            }
            this.sequenceParams = p;
        }
    }

    static MultiLayerNetwork network(long featuresOut, long outputs, Layer... layers) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(SEED)
                .dataType(DataType.FLOAT).updater(new Adam(1e-3)).list();
        for (Layer layer : layers) {
            list.layer(layer);
        }
        list.layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(featuresOut).nOut(outputs)
                .activation(Activation.IDENTITY).dataFormat(RNNFormat.NCW).name("out").build());
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        return net;
    }

    static MLSTMBlock mlstmBlock(long e, int numBlocks) {
        return new MLSTMBlock.Builder().size(e).numHeads(HEADS).chunkSize(CHUNK).convKernelSize(CONV_KERNEL)
                .qkvBlockSize(QKV_BLOCK).numBlocks(numBlocks).dataFormat(RNNFormat.NCW).build();
    }

    static SLSTMBlock slstmBlock(long e, int index, int numBlocks) {
        return new SLSTMBlock.Builder().size(e).numHeads(HEADS).blockPosition(index, numBlocks)
                .dataFormat(RNNFormat.NCW).build();
    }

    /** {@code blocks} mLSTM blocks of width e. */
    static Model mlstmStack(long e, int blocks, long outputs) {
        Layer[] layers = new Layer[blocks];
        for (int i = 0; i < blocks; i++) {
            layers[i] = mlstmBlock(e, blocks);
        }
        return new Model("mLSTM x" + blocks, network(e, outputs, layers), true);
    }

    static Model slstmBlockModel(long e) {
        return new Model("sLSTM x1", network(e, e, slstmBlock(e, 0, 1)), true);
    }

    /** DL4J LSTM layers: the first nIn -> h, the rest h -> h. */
    static Model lstmStack(String name, long nIn, long h, int layers) {
        Layer[] ls = new Layer[layers];
        for (int i = 0; i < layers; i++) {
            ls[i] = new LSTM.Builder().nIn(i == 0 ? nIn : h).nOut(h).activation(Activation.TANH)
                    .dataFormat(RNNFormat.NCW).build();
        }
        return new Model(name, network(h, nIn, ls), true);
    }

    /** DL4J LSTM parameters: input weights, recurrent weights and bias of the four gates. */
    static long lstmParams(long nIn, long h, int layers) {
        long p = 4 * h * (nIn + h + 1);
        for (int i = 1; i < layers; i++) {
            p += 4 * h * (2 * h + 1);
        }
        return p;
    }

    /** The hidden size whose LSTM stack has the parameter count closest to {@code target}. */
    static long lstmHiddenForParams(long nIn, int layers, long target) {
        long best = 1;
        for (long h = 1; h <= 8192; h++) {
            if (Math.abs(lstmParams(nIn, h, layers) - target) < Math.abs(lstmParams(nIn, best, layers) - target)) {
                best = h;
            }
        }
        return best;
    }

    /** DL4J's multi-head dot-product self-attention (input projections, nIn = nOut = e). */
    static Model attention(long e, int heads) {
        SelfAttentionLayer layer = new SelfAttentionLayer.Builder().nIn((int) e).nOut((int) e).nHeads(heads).headSize((int) (e / heads))
                .projectInput(true).build();
        return new Model("attention h" + heads, network(e, e, layer), false);
    }

    /** The 4-block mixed stack of the streaming test: mLSTM, sLSTM, mLSTM, mLSTM, final LayerNorm. */
    static Model mixedStack(long e) {
        MultiLayerNetwork net = network(e, e, mlstmBlock(e, 4), slstmBlock(e, 1, 4), mlstmBlock(e, 4),
                mlstmBlock(e, 4), new XlstmLayerNorm.Builder().size(e).dataFormat(RNNFormat.NCW).build());
        return new Model("mixed m/s/m/m", net, true);
    }

    /**
     * Analytic multiply-add FLOPs (2 per MAC) per token of one mLSTM block forward, counting the dense
     * products as the chunkwise form performs them; norms, gates' exp/log and other element-wise work are
     * left out (memory-bound, a few FLOPs per element). E: width, D: inner size, NH heads of size dh = D/NH,
     * K: conv kernel, b: q/k/v block size, L: chunk length.
     * <pre>
     *   up-projection   2·E·2D      causal conv   2·D·K        q, k, v   3·2·D·b
     *   gate pre-acts   2·2·3D·NH   intra-chunk   NH·(2·L·dh [q·kᵀ] + 2·L·dh [·v])
     *   inter-chunk     NH·(2·dh² [q·C] + 2·dh² [C += kᵀ·v])      down-projection   2·D·E
     * </pre>
     */
    static double mlstmBlockFlopsPerToken(long e) {
        long d = MLSTMLayer.roundUpInner(2.0, e);
        double dh = (double) d / HEADS;
        double up = 2.0 * e * 2 * d;
        double conv = 2.0 * d * CONV_KERNEL;
        double qkv = 3 * 2.0 * d * QKV_BLOCK;
        double gates = 2 * 2.0 * 3 * d * HEADS;
        double intra = HEADS * (4.0 * CHUNK * dh);
        double inter = HEADS * (4.0 * dh * dh);
        double down = 2.0 * d * e;
        return up + conv + qkv + gates + intra + inter + down;
    }
}
