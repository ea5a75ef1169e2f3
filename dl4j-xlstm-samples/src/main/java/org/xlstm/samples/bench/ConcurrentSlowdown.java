package org.xlstm.samples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
 * the ratio of the two. The two loads alternate, xLSTM, LSTM, LSTM, xLSTM, ..., so that a change of the machine's own
 * load during the measurement falls on both alike, and each load has its first round, in which its threads make
 * their first, workspace-sizing fit calls, and a later one (the measured LSTM is warm from its runs alone).
 */
final class ConcurrentSlowdown {
    private static final int BACKGROUND_NETWORKS = 2;
    /** Timed LSTM fits beside each kind of load. */
    private static final int ROUNDS_PER_LOAD = 2;

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
        Supplier<Model> lstmOfEqualParams = () -> {
            Model mlstm = Models.mlstmStack(e, 2, e);
            long h = Models.lstmHiddenForParams(e, 2, mlstm.sequenceParams);
            return Models.lstmStack("LSTM x2 H=" + h, e, h, 2);
        };
        double[] withXlstm = new double[ROUNDS_PER_LOAD];
        double[] withLstm = new double[ROUNDS_PER_LOAD];
        try (BackgroundLoad xlstmLoad = new BackgroundLoad(() -> Models.mlstmStack(e, 2, e), e, t, batch);
                BackgroundLoad lstmLoad = new BackgroundLoad(lstmOfEqualParams, e, t, batch)) {
            for (int round = 0; round < 2 * ROUNDS_PER_LOAD; round++) {
                // xLSTM, LSTM, LSTM, xLSTM, xLSTM, LSTM, ...
                boolean xlstmTurn = round % 4 == 0 || round % 4 == 3;
                BackgroundLoad load = xlstmTurn ? xlstmLoad : lstmLoad;
                load.resume();
                try {
                    long t0 = System.nanoTime();
                    fit.run();
                    (xlstmTurn ? withXlstm : withLstm)[round / 2] = (System.nanoTime() - t0) / 1e9;
                } finally {
                    load.pause();
                }
            }
        }
        Result r = new Result(alone, InterleavedPair.median(withXlstm), InterleavedPair.median(withLstm));
        System.out.printf(Locale.ROOT, "%nLSTM fit, T=%d B=%d: %.1f ms alone, %.1f ms while %d mLSTM x2 networks train"
                + " in other threads (x%.2f), %.1f ms while %d DL4J LSTM x2 networks of equal parameters do (x%.2f);"
                + " loads alternating, %d timed fits each%n", t, batch, alone * 1e3, r.withXlstm * 1e3,
                BACKGROUND_NETWORKS, r.xlstmSlowdown(), r.withLstm * 1e3, BACKGROUND_NETWORKS, r.lstmSlowdown(),
                ROUNDS_PER_LOAD);
        return r;
    }

    /**
     * {@link #BACKGROUND_NETWORKS} networks training on their own threads, which live through all rounds (DL4J's
     * workspaces belong to a thread: new threads each round would size them anew) and train only between
     * {@link #resume} and {@link #pause}.
     */
    private static final class BackgroundLoad implements AutoCloseable {
        private final List<Thread> threads = new ArrayList<>();
        /** Guarded by this: whether the threads may start a fit, how many are inside one, whether to end. */
        private boolean training;
        private int busy;
        private boolean closed;

        BackgroundLoad(Supplier<Model> network, long e, int t, int batch) {
            for (int i = 0; i < BACKGROUND_NETWORKS; i++) {
                Model model = network.get();
                Thread thread = new Thread(() -> {
                    INDArray bx = Nd4j.rand(DataType.FLOAT, batch, e, t);
                    INDArray by = Nd4j.rand(DataType.FLOAT, batch, e, t);
                    while (enterFit()) {
                        try {
                            model.net.fit(bx, by);
                        } finally {
                            leaveFit();
                        }
                    }
                }, "background-" + model.name + "-" + i);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
        }

        /** Waits until the load trains (true) or is closed (false). */
        private synchronized boolean enterFit() {
            while (!training && !closed) {
                waitUninterruptibly();
            }
            if (closed) {
                return false;
            }
            busy++;
            return true;
        }

        private synchronized void leaveFit() {
            busy--;
            notifyAll();
        }

        synchronized void resume() {
            training = true;
            notifyAll();
        }

        /** Returns once every thread has finished its current fit. */
        synchronized void pause() {
            training = false;
            while (busy > 0) {
                waitUninterruptibly();
            }
        }

        private void waitUninterruptibly() {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            synchronized (this) {
                closed = true;
                notifyAll();
            }
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
