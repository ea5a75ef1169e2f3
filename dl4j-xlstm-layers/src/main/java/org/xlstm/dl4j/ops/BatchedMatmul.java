package org.xlstm.dl4j.ops;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batched matrix products over the leading dimension of rank-3 arrays, into a preallocated output.
 *
 * <p>ND4J already spreads the batch over its own threads; OpenBLAS threads inside each small product
 * then oversubscribe the cores, which on a 2-core machine made products of [64, 128] x [128, 128] 10-100x
 * slower (worst when other processes load the machine). OpenBLAS therefore runs single-threaded for the
 * duration of the call.
 */
public final class BatchedMatmul {
    private BatchedMatmul() {
    }

    /** {@code out = op(a) @ op(b)} for each leading index; returns {@code out}. */
    public static INDArray into(INDArray a, INDArray b, INDArray out, boolean transposeA, boolean transposeB) {
        return SingleThreadedBlas.call(() -> Nd4j.matmul(a, b, out, transposeA, transposeB, false));
    }
}
