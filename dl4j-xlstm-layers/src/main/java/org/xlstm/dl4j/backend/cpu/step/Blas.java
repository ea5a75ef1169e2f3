package org.xlstm.dl4j.backend.cpu.step;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The only class of the step form that calls OpenBLAS (the library ND4J's CPU backend itself calls), so it
 * is loaded only where {@link StepForm#available()} confirmed the CPU backend. All matrices are row-major
 * float32; pointer positions select sub-blocks.
 *
 * <p>Every call runs on the calling thread: products larger than OpenBLAS's own multithreading thresholds
 * are split into pieces below them, so OpenBLAS never hands a piece to its worker threads, and no thread
 * count is changed anywhere. At one token a product takes microseconds, less than a worker's wake-up, and
 * on a busy machine a woken worker may wait for a core while the step waits for it (the streaming tail).
 * The thresholds are those of OpenBLAS 0.3.19 (ND4J 1.0.0-M2.1's) with its default
 * {@code GEMM_MULTITHREAD_THRESHOLD} of 4; with other values the results are the same and only the
 * threading differs.
 *
 * <p>The pieces are addressed by moving the given pointers' positions, restored before returning, so a
 * token allocates nothing here: the pointers must belong to the calling step (as all of the step form's
 * do), not be shared with other threads.
 */
final class Blas {
    /** The largest gemv run serially (interface/gemv.c: threaded when m·n >= 2304 · 4). */
    static final long SERIAL_GEMV_ELEMENTS = 2304L * 4 - 1;
    /** The largest ger run serially (interface/ger.c: threaded when m·n > 2048 · 4). */
    static final long SERIAL_GER_ELEMENTS = 2048L * 4;
    /** The largest gemm run serially (interface/gemm.c: threaded when M·N·K > 65536 · 4). */
    static final long SERIAL_GEMM_VOLUME = 65536L * 4;
    /** The largest scal run serially (interface/scal.c: threaded above 2^20 elements). */
    static final long SERIAL_SCAL_ELEMENTS = 1L << 20;

    private Blas() {
    }

    /** y[b] = x[b] W for the batch rows: x [batch, in], W [in, out] (the layout of {@code Linear}). */
    static void rowsTimesMatrix(FloatPointer x, FloatPointer w, FloatPointer y, int batch, int in, int out) {
        long w0 = w.position();
        long y0 = y.position();
        int step = batch == 1 ? piece(SERIAL_GEMV_ELEMENTS, in) : piece(SERIAL_GEMM_VOLUME, (long) batch * in);
        try {
            for (int from = 0; from < out; from += step) {
                int cols = Math.min(step, out - from);
                w.position(w0 + from);
                y.position(y0 + from);
                if (batch == 1) {
                    openblas_nolapack.cblas_sgemv(CblasRowMajor, CblasTrans, in, cols, 1f, w, out, x, 1, 0f, y, 1);
                } else {
                    openblas_nolapack.cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, cols, in, 1f, x,
                            in, w, out, 0f, y, out);
                }
            }
        } finally {
            w.position(w0);
            y.position(y0);
        }
    }

    /** y = A x with A [rows, cols]. */
    static void matrixTimesVector(FloatPointer a, FloatPointer x, FloatPointer y, int rows, int cols) {
        long a0 = a.position();
        long y0 = y.position();
        int step = piece(SERIAL_GEMV_ELEMENTS, cols);
        try {
            for (int from = 0; from < rows; from += step) {
                a.position(a0 + (long) from * cols);
                y.position(y0 + from);
                openblas_nolapack.cblas_sgemv(CblasRowMajor, CblasNoTrans, Math.min(step, rows - from), cols, 1f, a,
                        cols, x, 1, 0f, y, 1);
            }
        } finally {
            a.position(a0);
            y.position(y0);
        }
    }

    /** y = x^T A with A [rows, cols]. */
    static void vectorTimesMatrix(FloatPointer x, FloatPointer a, FloatPointer y, int rows, int cols) {
        long a0 = a.position();
        long y0 = y.position();
        int step = piece(SERIAL_GEMV_ELEMENTS, rows);
        try {
            for (int from = 0; from < cols; from += step) {
                a.position(a0 + from);
                y.position(y0 + from);
                openblas_nolapack.cblas_sgemv(CblasRowMajor, CblasTrans, rows, Math.min(step, cols - from), 1f, a,
                        cols, x, 1, 0f, y, 1);
            }
        } finally {
            a.position(a0);
            y.position(y0);
        }
    }

    /** A = scale A + alpha x y^T with A [rows, cols]. */
    static void scaleAndAddOuter(FloatPointer a, float scale, float alpha, FloatPointer x, FloatPointer y,
                                 int rows, int cols) {
        long a0 = a.position();
        long x0 = x.position();
        long total = (long) rows * cols;
        int step = piece(SERIAL_GER_ELEMENTS, cols);
        try {
            for (long from = 0; from < total; from += SERIAL_SCAL_ELEMENTS) {
                a.position(a0 + from);
                openblas_nolapack.cblas_sscal((int) Math.min(SERIAL_SCAL_ELEMENTS, total - from), scale, a, 1);
            }
            for (int from = 0; from < rows; from += step) {
                a.position(a0 + (long) from * cols);
                x.position(x0 + from);
                openblas_nolapack.cblas_sger(CblasRowMajor, Math.min(step, rows - from), cols, alpha, x, 1, y, 1, a,
                        cols);
            }
        } finally {
            a.position(a0);
            x.position(x0);
        }
    }

    /** How many rows or columns of {@code perLine} elements make at most {@code maxSerial} (at least one). */
    private static int piece(long maxSerial, long perLine) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxSerial / Math.max(1, perLine)));
    }
}
