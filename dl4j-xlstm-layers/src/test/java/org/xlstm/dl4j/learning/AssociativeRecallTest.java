package org.xlstm.dl4j.learning;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMBlock;

/**
 * Associative recall: each sequence shows {@value #PAIRS} key-value pairs (k1 v1 k2 v2 ...; distinct keys
 * from a vocabulary of {@value #KEYS}, values from a disjoint vocabulary of {@value #VALUES}, one-hot
 * tokens), then {@value #QUERIES} queries, each a key seen in this sequence. The target at a query step is
 * that key's value (softmax over the value vocabulary); the label mask is 1 only on query steps.
 *
 * <p>Network: dense input projection (one-hot to E), MLSTMBlock(s), RnnOutputLayer. The mLSTM writes
 * key→value outer products into its matrix memory (its causal conv lets the value step see the previous
 * key) and reads them back with the query. A DL4J LSTM of about the same parameter count, trained the same
 * way, is run beside it for comparison (printed, not asserted).
 */
class AssociativeRecallTest {
    static final int KEYS = 16;
    static final int VALUES = 16;
    static final int PAIRS = 6;
    static final int QUERIES = 6;
    static final int VOCAB = KEYS + VALUES;
    static final int T = 2 * PAIRS + QUERIES;

    static final int E = Integer.getInteger("ar.e", 32);
    static final int BLOCKS = Integer.getInteger("ar.blocks", 1);
    static final int HEADS = Integer.getInteger("ar.heads", 4);
    static final int LSTM_SIZE = Integer.getInteger("ar.lstm", 32);
    static final int STEPS = Integer.getInteger("ar.steps", 240);
    static final int BATCH = Integer.getInteger("ar.batch", 32);
    static final double LR = Double.parseDouble(System.getProperty("ar.lr", "1e-2"));
    static final long SEED = Long.getLong("ar.seed", 12345L);
    static final int TEST_SEQUENCES = 512;

    /** A minibatch of fresh random sequences: one-hot features [n, VOCAB, T], labels [n, VALUES, T]. */
    static DataSet batch(Random rnd, int n) {
        INDArray f = Nd4j.zeros(DataType.FLOAT, n, VOCAB, T);
        INDArray l = Nd4j.zeros(DataType.FLOAT, n, VALUES, T);
        INDArray fm = Nd4j.ones(DataType.FLOAT, n, T);
        INDArray lm = Nd4j.zeros(DataType.FLOAT, n, T);
        int[] keys = new int[KEYS];
        int[] value = new int[KEYS];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < KEYS; k++) {
                keys[k] = k;
            }
            for (int k = 0; k < PAIRS; k++) { // partial Fisher-Yates: the first PAIRS entries are distinct keys
                int j = k + rnd.nextInt(KEYS - k);
                int tmp = keys[k];
                keys[k] = keys[j];
                keys[j] = tmp;
                value[k] = rnd.nextInt(VALUES);
                f.putScalar(new long[] {i, keys[k], 2 * k}, 1.0);
                f.putScalar(new long[] {i, KEYS + value[k], 2 * k + 1}, 1.0);
            }
            for (int q = 0; q < QUERIES; q++) {
                int p = rnd.nextInt(PAIRS);
                int t = 2 * PAIRS + q;
                f.putScalar(new long[] {i, keys[p], t}, 1.0);
                l.putScalar(new long[] {i, value[p], t}, 1.0);
                lm.putScalar(new long[] {i, t}, 1.0);
            }
        }
        return new DataSet(f, l, fm, lm);
    }

    static MultiLayerNetwork network(boolean mlstm) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(SEED)
                .dataType(DataType.FLOAT).updater(new Adam(LR)).weightInit(WeightInit.XAVIER)
                .trainingWorkspaceMode(WorkspaceMode.ENABLED).inferenceWorkspaceMode(WorkspaceMode.ENABLED)
                .list()
                .layer(new DenseLayer.Builder().nIn(VOCAB).nOut(E).activation(Activation.IDENTITY).build());
        if (mlstm) {
            for (int b = 0; b < BLOCKS; b++) {
                list.layer(new MLSTMBlock.Builder().size(E).numHeads(HEADS).numBlocks(BLOCKS).build());
            }
        } else {
            list.layer(new LSTM.Builder().nIn(E).nOut(LSTM_SIZE).activation(Activation.TANH).build());
        }
        Layer out = new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(VALUES)
                .activation(Activation.SOFTMAX).build();
        MultiLayerConfiguration conf = list.layer(out).setInputType(InputType.recurrent(VOCAB, T)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static double[] run(String name, boolean mlstm) {
        MultiLayerNetwork net = network(mlstm);
        Random train = new Random(SEED);
        LearningSupport.Outcome o = LearningSupport.train(name, net, STEPS, s -> batch(train, BATCH));
        double acc = LearningSupport.accuracy(net, batch(new Random(SEED + 1_000_003L), TEST_SEQUENCES));
        System.out.printf("AssociativeRecall %-28s params %6d  steps %d  loss %.4f  held-out query accuracy %.4f"
                + "  (%.1f s)%n", name, o.params, STEPS, o.finalLoss, acc, o.seconds);
        return new double[] {acc, o.seconds};
    }

    @Test
    void mlstmRecallsValuesLstmBaselineIsPrinted() {
        double mlstm = run("mLSTM (" + BLOCKS + "x MLSTMBlock E=" + E + ")", true)[0];
        run("LSTM (DL4J LSTM " + LSTM_SIZE + ")", false);
        assertTrue(mlstm >= 0.90, "mLSTM held-out query accuracy " + mlstm + " < 0.90");
    }
}
