package org.xlstm.dl4j.backend.cpu;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Independent row-major float32 products {@code C = op(A) op(B) + beta C}, queued by the chunkwise kernels
 * stage by stage and run one after another on the calling thread. OpenBLAS decides by itself whether a
 * product is large enough to use its own threads; nothing here changes its process-wide settings.
 */
final class GemmQueue {
    private final int capacity;
    private final int[] transA;
    private final int[] transB;
    private final int[] m;
    private final int[] n;
    private final int[] k;
    private final int[] lda;
    private final int[] ldb;
    private final int[] ldc;
    private final float[] beta;
    private final FloatPointer[] a;
    private final FloatPointer[] b;
    private final FloatPointer[] c;
    private int count;

    /** Room for up to {@code capacity} products per {@link #run()}. */
    GemmQueue(int capacity) {
        this.capacity = capacity;
        transA = new int[capacity];
        transB = new int[capacity];
        m = new int[capacity];
        n = new int[capacity];
        k = new int[capacity];
        lda = new int[capacity];
        ldb = new int[capacity];
        ldc = new int[capacity];
        beta = new float[capacity];
        a = new FloatPointer[capacity];
        b = new FloatPointer[capacity];
        c = new FloatPointer[capacity];
    }

    /** Queues {@code C = op(A) op(B) + beta C}; op(A) [m, k], op(B) [k, n], C [m, n], all row-major. */
    void add(boolean transposeA, boolean transposeB, int rows, int cols, int depth, FloatPointer left,
                    int leftStride, FloatPointer right, int rightStride, float accumulate, FloatPointer out,
                    int outStride) {
        if (count == capacity) {
            throw new IllegalStateException("GemmQueue: more than " + capacity + " products queued");
        }
        transA[count] = transposeA ? CblasTrans : CblasNoTrans;
        transB[count] = transposeB ? CblasTrans : CblasNoTrans;
        m[count] = rows;
        n[count] = cols;
        k[count] = depth;
        a[count] = left;
        lda[count] = leftStride;
        b[count] = right;
        ldb[count] = rightStride;
        beta[count] = accumulate;
        c[count] = out;
        ldc[count] = outStride;
        count++;
    }

    /** Runs the queued products (their outputs must not overlap) and empties the queue. */
    void run() {
        for (int i = 0; i < count; i++) {
            openblas_nolapack.cblas_sgemm(CblasRowMajor, transA[i], transB[i], m[i], n[i], k[i], 1f, a[i], lda[i],
                    b[i], ldb[i], beta[i], c[i], ldc[i]);
        }
        count = 0;
    }
}
