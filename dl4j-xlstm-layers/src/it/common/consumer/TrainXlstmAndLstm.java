package consumer;

import org.bytedeco.openblas.global.openblas_nolapack;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMBlock;

/**
 * What a user's project does first: build and train an xLSTM network and a DL4J LSTM next to each other. Exits
 * non-zero (failing the consumer build) when ND4J does not start, the expected OpenBLAS is not the one loaded,
 * the library does not run on its CPU backend, or either network fails to learn a simple delayed-copy task.
 */
public final class TrainXlstmAndLstm {
    private static final int FEATURES = 3;
    private static final int STEPS = 32;
    private static final int BATCH = 16;

    public static void main(String[] args) {
        String expectedOpenBlas = args[0];
        String openBlasJar = openblas_nolapack.class.getProtectionDomain().getCodeSource().getLocation().toString();
        System.out.println("OpenBLAS: " + openBlasJar + "; OMP_WAIT_POLICY=" + System.getenv("OMP_WAIT_POLICY"));
        check(openBlasJar.contains("openblas-" + expectedOpenBlas), "OpenBLAS " + expectedOpenBlas + " expected: " + openBlasJar);

        INDArray[] data = delayedCopy();
        double xlstm = train("xLSTM", network(new MLSTMLayer.Builder().nIn(FEATURES).nOut(32).build(),
                new SLSTMBlock.Builder().size(32).numHeads(4).build()), data);
        String backend = org.xlstm.dl4j.kernel.KernelRegistry.activeBackend();
        System.out.println("xLSTM backend: " + backend);
        check(backend.equals("cpu"), "the CPU backend should run on nd4j-native, ran: " + backend);
        double lstm = train("LSTM", network(new LSTM.Builder().nIn(FEATURES).nOut(32).activation(Activation.TANH).build()),
                data);
        System.out.printf("final loss over first loss: xLSTM %.3f, LSTM %.3f%n", xlstm, lstm);
    }

    private static MultiLayerNetwork network(Layer... recurrent) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(7).updater(new Adam(3e-3))
                .list();
        for (Layer layer : recurrent) {
            list.layer(layer);
        }
        MultiLayerConfiguration conf = list.layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .nOut(1).activation(Activation.IDENTITY).build())
                .setInputType(InputType.recurrent(FEATURES)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Target: the first feature three steps earlier; learnable by any recurrent layer, not by the output layer. */
    private static INDArray[] delayedCopy() {
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.randn(DataType.FLOAT, BATCH, FEATURES, STEPS);
        INDArray y = Nd4j.zeros(DataType.FLOAT, BATCH, 1, STEPS);
        y.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.interval(3, STEPS))
                .assign(x.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.interval(0, STEPS - 3)));
        return new INDArray[] {x, y};
    }

    private static double train(String name, MultiLayerNetwork net, INDArray[] data) {
        double first = net.score(new org.nd4j.linalg.dataset.DataSet(data[0], data[1]));
        long start = System.nanoTime();
        for (int i = 0; i < 150; i++) {
            net.fit(data[0], data[1]);
        }
        double last = net.score(new org.nd4j.linalg.dataset.DataSet(data[0], data[1]));
        System.out.printf("%s: loss %.4f -> %.4f in %.1f s%n", name, first, last, (System.nanoTime() - start) / 1e9);
        check(Double.isFinite(last) && last < 0.5 * first, name + " did not learn: loss " + first + " -> " + last);
        return last / first;
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            System.err.println("consumer check failed: " + message);
            System.exit(1);
        }
    }
}
