package org.xlstm.dl4j.learning;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
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
import org.xlstm.dl4j.conf.SLSTMBlock;

/**
 * Parity of bit strings. Each sequence is a random bit string of length n (training: n uniform in
 * [1, {@value #TRAIN_MAX}]), one-hot input (2 features), right-padded to the batch's longest string with
 * feature and label masks. Output at every step: the target at step t is the parity of bits 1..t (the
 * running parity, softmax over {even, odd}), so a string of length n is classified by the output at its
 * last step. Accuracy is measured at the last step of fresh strings: lengths 1-{@value #TRAIN_MAX} (as
 * trained) and {@value #TEST_MIN}-{@value #TEST_MAX} (up to twice longer than any training string).
 *
 * <p>Network: dense input projection (2 to E), SLSTMBlock(s), RnnOutputLayer. The sLSTM's recurrent
 * (memory-mixing) connections can flip a state bit per 1; the paper reports that mLSTM alone, without
 * memory mixing, fails at parity. A same-size MLSTMBlock network trained the same way is run and printed.
 */
class ParityTest {
    static final int TRAIN_MAX = 20;
    static final int TEST_MIN = 21;
    static final int TEST_MAX = 40;

    static final int E = Integer.getInteger("par.e", 32);
    static final int BLOCKS = Integer.getInteger("par.blocks", 1);
    static final int HEADS = Integer.getInteger("par.heads", 4);
    static final int STEPS = Integer.getInteger("par.steps", 200);
    static final int BATCH = Integer.getInteger("par.batch", 32);
    static final double LR = Double.parseDouble(System.getProperty("par.lr", "1e-2"));
    static final long SEED = Long.getLong("par.seed", 12345L);
    static final int TEST_STRINGS = 512;

    /**
     * {@code n} random strings, lengths uniform in [minLen, maxLen]. Labels are the running parity on every
     * valid step; with {@code lastOnly} the label mask keeps only each string's last step (for scoring).
     */
    static DataSet batch(Random rnd, int n, int minLen, int maxLen, boolean lastOnly) {
        int[] len = new int[n];
        int t = 0;
        for (int i = 0; i < n; i++) {
            len[i] = minLen + rnd.nextInt(maxLen - minLen + 1);
            t = Math.max(t, len[i]);
        }
        INDArray f = Nd4j.zeros(DataType.FLOAT, n, 2, t);
        INDArray l = Nd4j.zeros(DataType.FLOAT, n, 2, t);
        INDArray fm = Nd4j.zeros(DataType.FLOAT, n, t);
        INDArray lm = Nd4j.zeros(DataType.FLOAT, n, t);
        for (int i = 0; i < n; i++) {
            int parity = 0;
            for (int j = 0; j < len[i]; j++) {
                int bit = rnd.nextInt(2);
                parity ^= bit;
                f.putScalar(new long[] {i, bit, j}, 1.0);
                l.putScalar(new long[] {i, parity, j}, 1.0);
                fm.putScalar(new long[] {i, j}, 1.0);
                if (!lastOnly || j == len[i] - 1) {
                    lm.putScalar(new long[] {i, j}, 1.0);
                }
            }
        }
        return new DataSet(f, l, fm, lm);
    }

    static MultiLayerNetwork network(boolean slstm) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(SEED)
                .dataType(DataType.FLOAT).updater(new Adam(LR)).weightInit(WeightInit.XAVIER)
                .trainingWorkspaceMode(WorkspaceMode.ENABLED).inferenceWorkspaceMode(WorkspaceMode.ENABLED)
                .list()
                .layer(new DenseLayer.Builder().nIn(2).nOut(E).activation(Activation.IDENTITY).build());
        for (int b = 0; b < BLOCKS; b++) {
            if (slstm) {
                list.layer(new SLSTMBlock.Builder().size(E).numHeads(HEADS).blockPosition(b, BLOCKS).build());
            } else {
                list.layer(new MLSTMBlock.Builder().size(E).numHeads(HEADS).numBlocks(BLOCKS).build());
            }
        }
        MultiLayerConfiguration conf = list.layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nOut(2).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.recurrent(2)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Trains one model; returns {accuracy on lengths 1-20, accuracy on lengths 21-40}. */
    static double[] run(String name, boolean slstm) {
        MultiLayerNetwork net = network(slstm);
        Random train = new Random(SEED);
        LearningSupport.Outcome o = LearningSupport.train(name, net, STEPS,
                s -> batch(train, BATCH, 1, TRAIN_MAX, false));
        Random test = new Random(SEED + 1_000_003L);
        double in = LearningSupport.accuracy(net, batch(test, TEST_STRINGS, 1, TRAIN_MAX, true));
        double longer = LearningSupport.accuracy(net, batch(test, TEST_STRINGS, TEST_MIN, TEST_MAX, true));
        System.out.printf("Parity %-28s params %6d  steps %d  loss %.4f  accuracy len 1-%d %.4f  len %d-%d %.4f"
                + "  (%.1f s)%n", name, o.params, STEPS, o.finalLoss, TRAIN_MAX, in, TEST_MIN, TEST_MAX, longer,
                o.seconds);
        return new double[] {in, longer};
    }

    @Test
    void slstmLearnsParityAndExtrapolatesMlstmIsPrinted() {
        double[] s = run("sLSTM (" + BLOCKS + "x SLSTMBlock E=" + E + ")", true);
        run("mLSTM (" + BLOCKS + "x MLSTMBlock E=" + E + ")", false);
        assertTrue(s[0] >= 0.95, "sLSTM parity accuracy on lengths 1-" + TRAIN_MAX + " " + s[0] + " < 0.95");
        assertTrue(s[1] >= 0.70, "sLSTM parity accuracy on lengths " + TEST_MIN + "-" + TEST_MAX + " " + s[1]
                + " < 0.70");
    }
}
