package org.xlstm.samples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.samples.bench.Models.Model;

/**
 * How much a DL4J LSTM's training slows down while two other networks train in other threads of the same process:
 * its median fit time then, over its median fit time alone, all in the same run. Measured twice, once with two
 * xLSTM networks in the background and once with two DL4J LSTM networks of the same parameter count: on a machine
 * with fewer cores than trainers the cores themselves are shared, so the slowdown is never 1; what the xLSTM layers
 * must not add is a slowdown of their own (a process-wide setting such as OpenBLAS's thread count would), which is
 * the ratio of the two.
 */
final class ConcurrentSlowdown {
    private static final int BACKGROUND_NETWORKS = 2;

    /** The LSTM's fit time alone and with each kind of background load, in seconds. */
    static final class Result {
        final double alone;
        final double withXlstm;
        final double withLstm;

        private Result(double alone, double withXlstm, double withLstm) {
            this.alone = alone;
            this.withXlstm = withXlstm;
            this.withLstm = withLstm;
        }

        double xlstmSlowdown() {
            return withXlstm / alone;
        }

        double lstmSlowdown() {
            return withLstm / alone;
        }

        /** Above 1: the xLSTM background slows the LSTM more than DL4J's own layers do. */
        double xlstmOverLstm() {
            return withXlstm / withLstm;
        }
    }

    private ConcurrentSlowdown() {
    }

    /** {@code e} features, all networks at batch {@code batch} and length {@code t}. */
    static Result measure(Harness harness, long e, int t, int batch) {
        Model lstm = Models.lstmStack("LSTM x1 H=" + e, e, e, 1);
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, e, t);
        INDArray y = Nd4j.rand(DataType.FLOAT, batch, e, t);
        Runnable fit = () -> lstm.net.fit(x, y);
        double alone = harness.measure(fit).median();
        double withXlstm = medianWhileTraining(harness, fit, () -> Models.mlstmStack(e, 2, e), e, t, batch);
        double withLstm = medianWhileTraining(harness, fit, () -> {
            Model mlstm = Models.mlstmStack(e, 2, e);
            long h = Models.lstmHiddenForParams(e, 2, mlstm.sequenceParams);
            return Models.lstmStack("LSTM x2 H=" + h, e, h, 2);
        }, e, t, batch);
        Result r = new Result(alone, withXlstm, withLstm);
        System.out.printf(Locale.ROOT, "%nLSTM fit, T=%d B=%d: %.1f ms alone, %.1f ms while %d mLSTM x2 networks train"
                + " in other threads (x%.2f), %.1f ms while %d DL4J LSTM x2 networks of equal parameters do (x%.2f)%n",
                t, batch, alone * 1e3, withXlstm * 1e3, BACKGROUND_NETWORKS, r.xlstmSlowdown(), withLstm * 1e3,
                BACKGROUND_NETWORKS, r.lstmSlowdown());
        return r;
    }

    private static double medianWhileTraining(Harness harness, Runnable fit, Supplier<Model> background, long e,
            int t, int batch) {
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < BACKGROUND_NETWORKS; i++) {
            Model model = background.get();
            Thread thread = new Thread(() -> {
                INDArray bx = Nd4j.rand(DataType.FLOAT, batch, e, t);
                INDArray by = Nd4j.rand(DataType.FLOAT, batch, e, t);
                while (!stop.get()) {
                    model.net.fit(bx, by);
                }
            }, "background-" + model.name + "-" + i);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        try {
            return harness.measure(fit).median();
        } finally {
            stop.set(true);
            for (Thread thread : threads) {
                joinUninterruptibly(thread);
            }
        }
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
