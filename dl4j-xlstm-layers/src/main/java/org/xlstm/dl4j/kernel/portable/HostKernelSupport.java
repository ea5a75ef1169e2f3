package org.xlstm.dl4j.kernel.portable;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.ops.HostArrays;
import org.xlstm.dl4j.ops.HostGemmBatch;

/** What the host (CPU, float32) chunkwise forward and backward share: BLAS calls and the row-parallel run. */
final class HostKernelSupport {
    private HostKernelSupport() {
    }

    /** Row-major {@code C = alpha op(A) op(B) + beta C}, op(A) [m, k], op(B) [k, n], rows of A, B, C dense. */
    static void gemm(boolean transposeA, boolean transposeB, int m, int n, int k, FloatPointer a, FloatPointer b,
                     float beta, FloatPointer c) {
        openblas_nolapack.cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans, m, n, k, 1f, a, transposeA ? m : k, b,
                transposeB ? k : n, beta, c, n);
    }

    /**
     * Pointer.memcpy would offset typed pointers by their position in bytes, not elements; BLAS's copy
     * takes them as float pointers.
     */
    static void copy(FloatPointer from, FloatPointer to, long length) {
        openblas_nolapack.cblas_scopy((int) length, from, 1, to, 1);
    }

    /** The sum of the element-wise product of two length-n ranges. */
    static float dot(FloatPointer a, FloatPointer b, long length) {
        return openblas_nolapack.cblas_sdot((int) length, a, 1, b, 1);
    }

    static float[] readAll(INDArray a, String what) {
        float[] values = new float[(int) a.length()];
        HostArrays.read(HostArrays.pointer(a, what), 0, values, 0, values.length);
        return values;
    }

    /** Runs the recurrences [0, rows) on the available cores, each OpenBLAS call single-threaded. */
    static void forEachRecurrence(int rows, HostArrays.RowRange body) {
        HostGemmBatch.forEachWithSingleThreadedBlas(rows, body);
    }
}
