package org.xlstm.dl4j.memory;

import static org.xlstm.dl4j.memory.MemoryNetworks.input;

import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelInference;
import org.deeplearning4j.parallelism.inference.InferenceMode;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Run by {@link ParallelInferenceMemoryTest} in a JVM of its own for each worker count (so that one run's
 * leftovers do not count in the other's): one xLSTM network served by ParallelInference with N workers and N
 * client threads (N the first argument); prints the steady native memory above the JVM's value before
 * ({@code steady=bytes}).
 */
public final class ParallelInferenceProbe {
    static final int THREADS = 8;
    private static final int REQUESTS_PER_THREAD = 6;
    private static final int BATCH = 4;
    private static final int T = 2048;

    private ParallelInferenceProbe() {
    }

    public static void main(String[] args) throws Exception {
        Nd4j.getRandom().setSeed(MemoryNetworks.SEED);
        MultiLayerNetwork net = MemoryNetworks.mixedStack(RNNFormat.NCW);
        INDArray x = input(BATCH, T);
        long start = NativeMemory.settled();
        System.out.println("steady=" + steadyAbove(start, net, x, Integer.parseInt(args[0])));
        System.exit(0);
    }

    /** Native memory above {@code start} once {@code threads} workers and clients have each served requests. */
    private static long steadyAbove(long start, MultiLayerNetwork net, INDArray x, int threads) throws Exception {
        ParallelInference inference = new ParallelInference.Builder(net).inferenceMode(InferenceMode.SEQUENTIAL)
                .workers(threads).build();
        try {
            List<Thread> clients = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            for (int c = 0; c < threads; c++) {
                Thread client = new Thread(() -> {
                    for (int r = 0; r < REQUESTS_PER_THREAD; r++) {
                        inference.output(x);
                    }
                });
                client.setUncaughtExceptionHandler((t, e) -> {
                    synchronized (failures) {
                        failures.add(e);
                    }
                });
                clients.add(client);
                client.start();
            }
            for (Thread client : clients) {
                client.join();
            }
            if (!failures.isEmpty()) {
                throw new IllegalStateException("a client failed", failures.get(0));
            }
            return NativeMemory.settled() - start;
        } finally {
            inference.shutdown();
        }
    }
}
