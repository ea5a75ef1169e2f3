package org.xlstm.dl4j.ops;

import java.util.function.Supplier;

import org.nd4j.linalg.api.blas.Blas;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs code with OpenBLAS (the copy ND4J's Java BLAS calls) limited to the calling thread, for work that
 * spreads its products over Java threads itself.
 *
 * <p>Why: after every threaded call OpenBLAS's workers keep spinning for up to about 0.1 s, and on few cores
 * the Java threads computing next to them lose that share of the machine. With OpenBLAS single-threaded
 * inside a layer's pass, its workers fall asleep and stay asleep until the pass ends.
 *
 * <p>The limit is process-wide (OpenBLAS has one thread count), so scopes are counted: the first to open sets
 * it, the last to close restores what the first found, whichever threads they run on.
 */
public final class SingleThreadedBlas {
    private static final Object LOCK = new Object();
    private static int open;
    private static int restoreTo;

    private SingleThreadedBlas() {
    }

    /** Runs {@code body} in a scope; off ND4J's CPU backend it just runs it. */
    public static <T> T call(Supplier<T> body) {
        if (!HostBlas.available()) {
            return body.get();
        }
        enter();
        try {
            return body.get();
        } finally {
            exit();
        }
    }

    public static void run(Runnable body) {
        call(() -> {
            body.run();
            return null;
        });
    }

    /** Whether some scope is open, i.e. OpenBLAS now runs each call on its caller only. */
    public static boolean active() {
        synchronized (LOCK) {
            return open > 0;
        }
    }

    private static void enter() {
        synchronized (LOCK) {
            if (open++ == 0) {
                Blas blas = Nd4j.factory().blas();
                restoreTo = blas.getMaxThreads();
                blas.setMaxThreads(1);
            }
        }
    }

    private static void exit() {
        synchronized (LOCK) {
            if (--open == 0) {
                Nd4j.factory().blas().setMaxThreads(restoreTo);
            }
        }
    }
}
