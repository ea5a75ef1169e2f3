package org.xlstm.dl4j.kernel.portable;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.ops.BatchedMatmul;

/** Batched matrix products over the leading dimension of rank-3 arrays. */
final class BatchedProducts {
    private BatchedProducts() {
    }

    /**
     * {@code op(a) @ op(b)} for each leading index; the output is allocated here because letting ND4J's
     * matmul allocate it costs 2-3x on small products (notes/cpu-performance.md).
     */
    static INDArray matmul(INDArray a, INDArray b, boolean transposeA, boolean transposeB) {
        long rows = transposeA ? a.size(2) : a.size(1);
        long cols = transposeB ? b.size(1) : b.size(2);
        INDArray out = Nd4j.createUninitialized(a.dataType(), a.size(0), rows, cols);
        return BatchedMatmul.into(a, b, out, transposeA, transposeB);
    }

    static INDArray matmul(INDArray a, INDArray b) {
        return matmul(a, b, false, false);
    }
}
