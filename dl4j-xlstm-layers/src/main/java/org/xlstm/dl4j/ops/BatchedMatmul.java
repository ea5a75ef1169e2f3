package org.xlstm.dl4j.ops;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Batched matrix products over the leading dimension of rank-3 arrays, into a preallocated output. */
public final class BatchedMatmul {
    private BatchedMatmul() {
    }

    /** {@code out = op(a) @ op(b)} for each leading index; returns {@code out}. */
    public static INDArray into(INDArray a, INDArray b, INDArray out, boolean transposeA, boolean transposeB) {
        return Nd4j.matmul(a, b, out, transposeA, transposeB, false);
    }
}
