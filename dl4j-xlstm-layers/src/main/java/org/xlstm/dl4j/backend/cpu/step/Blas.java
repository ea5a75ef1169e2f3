package org.xlstm.dl4j.backend.cpu.step;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.xlstm.dl4j.backend.cpu.HostArrays;
import org.xlstm.dl4j.backend.cpu.SerialBlas;

/**
 * The only class of the step form that calls OpenBLAS (the library ND4J's CPU backend itself calls), so it
 * is loaded only where {@link StepForm#available()} confirmed the CPU backend. All matrices are row-major
 * float32; pointer positions and element offsets select sub-blocks.
 *
 * <p>Every call runs on the calling thread: products larger than OpenBLAS's own multithreading thresholds
 * are split into pieces below them ({@link SerialBlas}), so OpenBLAS never hands a piece to its worker
 * threads, and no thread count is changed anywhere. At one token a product takes microseconds, less than a
 * worker's wake-up, and on a busy machine a woken worker may wait for a core while the step waits for it
 * (the streaming tail).
 *
 * <p>The pieces are addressed by moving the given pointers' positions, restored before returning, so a
 * token allocates nothing here: the pointers must belong to the calling step (as all of the step form's
 * do), not be shared with other threads.
 */
final class Blas {
    private Blas() {
    }

    /** y[b] = x[b] W for the batch rows: x [batch, in], W [in, out] (the layout of {@code Linear}). */
    static void rowsTimesMatrix(FloatPointer x, FloatPointer w, FloatPointer y, int batch, int in, int out) {
        rowsTimesMatrix(x, 0, w, 0, y, 0, batch, in, out);
    }

    /** {@link #rowsTimesMatrix(FloatPointer, FloatPointer, FloatPointer, int, int, int)} at element offsets. */
    static void rowsTimesMatrix(FloatPointer x, long xAt, FloatPointer w, long wAt, FloatPointer y, long yAt,
                                int batch, int in, int out) {
        w = distinct(w, x);
        y = distinct(y, x, w);
        long x0 = x.position();
        long w0 = w.position();
        long y0 = y.position();
        x.position(x0 + xAt);
        int step = batch == 1 ? SerialBlas.piece(SerialBlas.GEMV_ELEMENTS, in)
                : SerialBlas.piece(SerialBlas.GEMM_VOLUME, (long) batch * in);
        try {
            for (int from = 0; from < out; from += step) {
                int cols = Math.min(step, out - from);
                w.position(w0 + wAt + from);
                y.position(y0 + yAt + from);
                if (batch == 1) {
                    openblas_nolapack.cblas_sgemv(CblasRowMajor, CblasTrans, in, cols, 1f, w, out, x, 1, 0f, y, 1);
                } else {
                    openblas_nolapack.cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, cols, in, 1f, x,
                            in, w, out, 0f, y, out);
                }
            }
        } finally {
            x.position(x0);
            w.position(w0);
            y.position(y0);
        }
    }

    /** y = A x with A [rows, cols], each operand at an element offset from its pointer's position. */
    static void matrixTimesVector(FloatPointer a, long aAt, FloatPointer x, long xAt, FloatPointer y, long yAt,
                                  int rows, int cols) {
        x = distinct(x, a);
        y = distinct(y, a, x);
        long a0 = a.position();
        long x0 = x.position();
        long y0 = y.position();
        x.position(x0 + xAt);
        int step = SerialBlas.piece(SerialBlas.GEMV_ELEMENTS, cols);
        try {
            for (int from = 0; from < rows; from += step) {
                a.position(a0 + aAt + (long) from * cols);
                y.position(y0 + yAt + from);
                openblas_nolapack.cblas_sgemv(CblasRowMajor, CblasNoTrans, Math.min(step, rows - from), cols, 1f, a,
                        cols, x, 1, 0f, y, 1);
            }
        } finally {
            a.position(a0);
            x.position(x0);
            y.position(y0);
        }
    }

    /** y = x^T A with A [rows, cols], each operand at an element offset from its pointer's position. */
    static void vectorTimesMatrix(FloatPointer x, long xAt, FloatPointer a, long aAt, FloatPointer y, long yAt,
                                  int rows, int cols) {
        a = distinct(a, x);
        y = distinct(y, x, a);
        long x0 = x.position();
        long a0 = a.position();
        long y0 = y.position();
        x.position(x0 + xAt);
        int step = SerialBlas.piece(SerialBlas.GEMV_ELEMENTS, rows);
        try {
            for (int from = 0; from < cols; from += step) {
                a.position(a0 + aAt + from);
                y.position(y0 + yAt + from);
                openblas_nolapack.cblas_sgemv(CblasRowMajor, CblasTrans, rows, Math.min(step, cols - from), 1f, a,
                        cols, x, 1, 0f, y, 1);
            }
        } finally {
            x.position(x0);
            a.position(a0);
            y.position(y0);
        }
    }

    /** A = scale A + alpha x y^T with A [rows, cols], each operand at an element offset from its position. */
    static void scaleAndAddOuter(FloatPointer a, long aAt, float scale, float alpha, FloatPointer x, long xAt,
                                 FloatPointer y, long yAt, int rows, int cols) {
        x = distinct(x, a);
        y = distinct(y, a, x);
        long a0 = a.position() + aAt;
        long x0 = x.position() + xAt;
        long y0 = y.position();
        y.position(y0 + yAt);
        long total = (long) rows * cols;
        int step = SerialBlas.piece(SerialBlas.GER_ELEMENTS, cols);
        try {
            for (long from = 0; from < total; from += SerialBlas.SCAL_ELEMENTS) {
                a.position(a0 + from);
                openblas_nolapack.cblas_sscal((int) Math.min(SerialBlas.SCAL_ELEMENTS, total - from), scale, a, 1);
            }
            for (int from = 0; from < rows; from += step) {
                a.position(a0 + (long) from * cols);
                x.position(x0 + from);
                openblas_nolapack.cblas_sger(CblasRowMajor, Math.min(step, rows - from), cols, alpha, x, 1, y, 1, a,
                        cols);
            }
        } finally {
            a.position(a0 - aAt);
            x.position(x0 - xAt);
            y.position(y0);
        }
    }

    /**
     * {@code p}, or a view of it where it is the same object as an earlier operand (two ranges of one buffer):
     * the positions of the operands are moved independently.
     */
    private static FloatPointer distinct(FloatPointer p, FloatPointer earlier) {
        return p == earlier ? HostArrays.at(p, 0) : p;
    }

    private static FloatPointer distinct(FloatPointer p, FloatPointer earlier, FloatPointer evenEarlier) {
        return distinct(distinct(p, earlier), evenEarlier);
    }
}
