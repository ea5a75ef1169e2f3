package org.xlstm.dl4j.concurrency;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LSTM;
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
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.kernel.KernelRegistry;

/**
 * Training in several threads at once changes nothing: two xLSTM networks trained concurrently end with
 * parameters bit-identical to the same networks trained one after the other, and so does a DL4J LSTM
 * trained in a third thread at the same time; and OpenBLAS's process-wide thread count, as a fourth thread
 * sees it throughout, never changes. Runs on the CPU backend,
 * float32, at sizes where its chunkwise kernel spreads recurrences over Java threads.
 */
class ConcurrentTrainingTest {
    private static final int FEATURES = 3;
    private static final int STEPS = 96;
    private static final int BATCH = 8;
    private static final int ITERATIONS = 6;

    @Test
    void concurrentTrainingGivesTheParametersOfSequentialTraining() throws Exception {
        assertEquals("cpu", KernelRegistry.activeBackend());
        DataSet data = data(11);

        float[] first = train(xlstm(1), data);
        float[] second = train(xlstm(2), data);
        float[] lstm = train(lstm(3), data);
        assertNotEquals(first.length, 0);

        List<MultiLayerNetwork> nets = List.of(xlstm(1), xlstm(2), lstm(3));
        ExecutorService pool = Executors.newFixedThreadPool(nets.size());
        int blasThreads = Nd4j.factory().blas().getMaxThreads();
        Set<Integer> blasThreadsSeen = ConcurrentHashMap.newKeySet();
        AtomicBoolean training = new AtomicBoolean(true);
        Thread observer = new Thread(() -> {
            while (training.get()) {
                blasThreadsSeen.add(Nd4j.factory().blas().getMaxThreads());
                LockSupport.parkNanos(200_000);
            }
        });
        try {
            observer.start();
            CountDownLatch start = new CountDownLatch(1);
            List<Future<float[]>> results = new ArrayList<>();
            for (MultiLayerNetwork net : nets) {
                results.add(pool.submit(() -> {
                    start.await();
                    return train(net, data);
                }));
            }
            start.countDown();
            assertArrayEquals(first, results.get(0).get(10, TimeUnit.MINUTES), "first xLSTM network");
            assertArrayEquals(second, results.get(1).get(10, TimeUnit.MINUTES), "second xLSTM network");
            assertArrayEquals(lstm, results.get(2).get(10, TimeUnit.MINUTES), "DL4J LSTM");
        } finally {
            training.set(false);
            observer.join();
            pool.shutdownNow();
        }
        assertEquals(Set.of(blasThreads), blasThreadsSeen, "OpenBLAS's thread count as other threads see it");
    }

    /** Fits {@code ITERATIONS} steps and returns the parameters. */
    private static float[] train(MultiLayerNetwork net, DataSet data) {
        for (int i = 0; i < ITERATIONS; i++) {
            net.fit(data);
        }
        return net.params().dup().data().asFloat();
    }

    /** mLSTM layer and sLSTM block, head size 16, chunk 32 (three chunks). */
    private static MultiLayerNetwork xlstm(long seed) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(DataType.FLOAT).updater(new Adam(3e-3)).weightInit(WeightInit.XAVIER)
                .list()
                .layer(new MLSTMLayer.Builder().nOut(32).numHeads(4).chunkSize(32).build())
                .layer(new SLSTMBlock.Builder().size(32).numHeads(4).build())
                .layer(output())
                .setInputType(InputType.recurrent(FEATURES))
                .build());
        net.init();
        return net;
    }

    private static MultiLayerNetwork lstm(long seed) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(DataType.FLOAT).updater(new Adam(3e-3)).weightInit(WeightInit.XAVIER)
                .list()
                .layer(new LSTM.Builder().nOut(32).activation(Activation.TANH).build())
                .layer(output())
                .setInputType(InputType.recurrent(FEATURES))
                .build());
        net.init();
        return net;
    }

    private static RnnOutputLayer output() {
        return new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                .nOut(1).build();
    }

    /** A noisy sum of the features, one value per step. */
    private static DataSet data(long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.FLOAT, BATCH, FEATURES, STEPS);
        INDArray y = x.sum(true, 1).addi(Nd4j.randn(DataType.FLOAT, BATCH, 1, STEPS).muli(0.1));
        return new DataSet(x, y);
    }
}
