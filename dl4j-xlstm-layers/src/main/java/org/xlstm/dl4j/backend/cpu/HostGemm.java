package org.xlstm.dl4j.backend.cpu;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Row-major GEMM on column blocks of ND4J host arrays, {@code C = op(A) op(B)} (or {@code C += op(A) op(B)}), where each operand is a
 * [rows, cols] window starting at column {@code col} of a 2-d array whose rows may be longer (the leading
 * dimension is the array's row stride). No copies: OpenBLAS reads and writes the arrays in place. Only for
 * {@link HostBlas#available()} and {@link HostBlas#addressable} arrays of one data type.
 */
final class HostGemm {
    /**
     * Rows of C per BLAS call. OpenBLAS rounds a row differently depending on where it falls in the call's row
     * range (its blocking and its split among threads), so a product over a whole sequence and over time slices
     * of it agree only when both are cut into the same blocks: {@code ChunkedInference}'s slices are multiples
     * of this many steps, so a single sequence gives the same numbers sliced or whole. Large enough that the
     * repeated packing of B per call costs little (a 256-row block made large products 10-50 % slower).
     */
    static final int ROW_BLOCK = 4_096;

    private HostGemm() {
    }

    /** An operand: columns [col, col + cols) of every row of {@code array}. */
    static final class Window {
        final INDArray array;
        final long col;

        Window(INDArray array, long col) {
            this.array = array;
            this.col = col;
        }
    }

    static void gemm(boolean transposeA, boolean transposeB, int m, int n, int k, Window a, Window b, Window c) {
        gemm(transposeA, transposeB, m, n, k, a, b, c, false);
    }

    /**
     * With {@code accumulate}, adds the product to what C holds (BLAS beta = 1) instead of overwriting it.
     */
    static void gemm(boolean transposeA, boolean transposeB, int m, int n, int k, Window a, Window b, Window c,
                     boolean accumulate) {
        int lda = leadingDimension(a.array);
        int ldb = leadingDimension(b.array);
        int ldc = leadingDimension(c.array);
        Pointer pb = at(b);
        boolean isDouble = c.array.dataType() == DataType.DOUBLE;
        for (int row = 0; row < m; row += ROW_BLOCK) {
            // Row r of op(A) is row r of A, or its column r when A is transposed.
            Pointer pa = offset(at(a), transposeA ? row : (long) row * lda);
            Pointer pc = offset(at(c), (long) row * ldc);
            sgemmOrDgemm(isDouble, transposeA, transposeB, Math.min(ROW_BLOCK, m - row), n, k, pa, lda, pb, ldb,
                    accumulate, pc, ldc);
        }
    }

    private static void sgemmOrDgemm(boolean isDouble, boolean transposeA, boolean transposeB, int m, int n, int k,
                                     Pointer a, int lda, Pointer b, int ldb, boolean accumulate, Pointer c, int ldc) {
        int ta = transposeA ? CblasTrans : CblasNoTrans;
        int tb = transposeB ? CblasTrans : CblasNoTrans;
        if (isDouble) {
            openblas_nolapack.cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, (DoublePointer) a, lda,
                    (DoublePointer) b, ldb, accumulate ? 1.0 : 0.0, (DoublePointer) c, ldc);
        } else {
            openblas_nolapack.cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1f, (FloatPointer) a, lda,
                    (FloatPointer) b, ldb, accumulate ? 1f : 0f, (FloatPointer) c, ldc);
        }
    }

    /**
     * The row stride; for a single row ND4J may report a row stride of 1, which BLAS rejects (it then
     * leaves C untouched), and any value of at least the row length addresses the same elements.
     */
    static int leadingDimension(INDArray a) {
        return (int) (a.size(0) == 1 ? Math.max(1, a.size(1)) : a.stride(0));
    }

    /** The data buffer of a view already starts at the view's offset (it is what ND4J hands to BLAS). */
    private static Pointer at(Window w) {
        return offset(w.array.data().addressPointer(), w.col);
    }

    /** A typed pointer {@code elements} past {@code base}'s position. */
    private static Pointer offset(Pointer base, long elements) {
        if (base instanceof DoublePointer) {
            DoublePointer p = (DoublePointer) base;
            return new DoublePointer(p).position(p.position() + elements);
        }
        FloatPointer p = (FloatPointer) base;
        return new FloatPointer(p).position(p.position() + elements);
    }
}
