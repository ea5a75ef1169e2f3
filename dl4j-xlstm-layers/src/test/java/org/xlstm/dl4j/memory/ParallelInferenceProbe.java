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
 * Run by {@link ParallelInferenceMemoryTest} in its own JVM: one xLSTM network served by ParallelInference
 * with 1 worker and 1 client thread, then with 8 workers and 8 client threads; prints the steady native
 * memory above the starting value of each ({@code key=bytes} lines).
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
        long one = steadyAbove(start, net, x, 1);
        long eight = steadyAbove(start, net, x, THREADS);
        System.out.println("one_thread=" + one);
        System.out.println("eight_threads=" + eight);
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
