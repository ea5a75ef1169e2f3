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
 */
final class Blas {
    private Blas() {
    }

    /** y[b] = x[b] W for the batch rows: x [batch, in], W [in, out] (the layout of {@code Linear}). */
    static void rowsTimesMatrix(FloatPointer x, FloatPointer w, FloatPointer y, int batch, int in, int out) {
        if (batch == 1) {
            openblas_nolapack.cblas_sgemv(CblasRowMajor, CblasTrans, in, out, 1f, w, out, x, 1, 0f, y, 1);
        } else {
            openblas_nolapack.cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, out, in, 1f, x, in,
                    w, out, 0f, y, out);
        }
    }

    /** y = A x with A [rows, cols]. */
    static void matrixTimesVector(FloatPointer a, FloatPointer x, FloatPointer y, int rows, int cols) {
        openblas_nolapack.cblas_sgemv(CblasRowMajor, CblasNoTrans, rows, cols, 1f, a, cols, x, 1, 0f, y, 1);
    }

    /** y = x^T A with A [rows, cols]. */
    static void vectorTimesMatrix(FloatPointer x, FloatPointer a, FloatPointer y, int rows, int cols) {
        openblas_nolapack.cblas_sgemv(CblasRowMajor, CblasTrans, rows, cols, 1f, a, cols, x, 1, 0f, y, 1);
    }

    /** A = scale A + alpha x y^T with A [rows, cols]. */
    static void scaleAndAddOuter(FloatPointer a, float scale, float alpha, FloatPointer x, FloatPointer y,
                                 int rows, int cols) {
        openblas_nolapack.cblas_sscal(rows * cols, scale, a, 1);
        openblas_nolapack.cblas_sger(CblasRowMajor, rows, cols, alpha, x, 1, y, 1, a, cols);
    }
}
