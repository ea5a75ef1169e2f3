package org.xlstm.samples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.samples.bench.Models.Model;

/**
 * How much a DL4J LSTM's training slows down while two xLSTM networks train in other threads of the same
 * process: its median fit time then, over its median fit time alone, measured in the same run. The xLSTM
 * layers change no process-wide setting (e.g. OpenBLAS's thread count), so what remains is the sharing of
 * the cores themselves: on C cores with three trainers expect up to about 3 when each alone fills them.
 */
final class ConcurrentSlowdown {
    private static final int BACKGROUND_NETWORKS = 2;

    private ConcurrentSlowdown() {
    }

    /** The ratio; {@code e} features, the LSTM and the xLSTM stacks at batch {@code batch}, length {@code t}. */
    static double measure(Harness harness, long e, int t, int batch) {
        Model lstm = Models.lstmStack("LSTM x1 H=" + e, e, e, 1);
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, e, t);
        INDArray y = Nd4j.rand(DataType.FLOAT, batch, e, t);
        double alone = harness.measure(() -> lstm.net.fit(x, y)).median();

        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> background = new ArrayList<>();
        for (int i = 0; i < BACKGROUND_NETWORKS; i++) {
            Model xlstm = Models.mlstmStack(e, 2, e);
            Thread thread = new Thread(() -> {
                INDArray bx = Nd4j.rand(DataType.FLOAT, batch, e, t);
                INDArray by = Nd4j.rand(DataType.FLOAT, batch, e, t);
                while (!stop.get()) {
                    xlstm.net.fit(bx, by);
                }
            }, "xlstm-background-" + i);
            thread.setDaemon(true);
            background.add(thread);
            thread.start();
        }
        double shared;
        try {
            shared = harness.measure(() -> lstm.net.fit(x, y)).median();
        } finally {
            stop.set(true);
            for (Thread thread : background) {
                joinUninterruptibly(thread);
            }
        }
        System.out.printf(Locale.ROOT, "%nLSTM fit, T=%d B=%d: %.1f ms alone, %.1f ms while %d xLSTM networks train"
                + " in other threads%n", t, batch, alone * 1e3, shared * 1e3, BACKGROUND_NETWORKS);
        return shared / alone;
    }

    /** The background thread finishes its current fit; an interrupt of the caller is kept for later. */
    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
