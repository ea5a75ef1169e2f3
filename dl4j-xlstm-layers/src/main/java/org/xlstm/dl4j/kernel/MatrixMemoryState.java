package org.xlstm.dl4j.kernel;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Recurrent state of the mLSTM matrix memory for a minibatch.
 *
 * <p>The memory is kept stabilised: the true matrix memory is {@code c * exp(m)} and the true normalizer
 * {@code n * exp(m)}, so that exponential input gates never overflow. All forms (parallel, chunkwise,
 * step) exchange state in this representation.
 *
 * <ul>
 *   <li>{@code c}: [B, NH, DH, DH], indexed [key dim, value dim]</li>
 *   <li>{@code n}: [B, NH, DH]</li>
 *   <li>{@code m}: [B, NH]</li>
 * </ul>
 */
public final class MatrixMemoryState {
    public final INDArray c;
    public final INDArray n;
    public final INDArray m;

    public MatrixMemoryState(INDArray c, INDArray n, INDArray m) {
        this.c = c;
        this.n = n;
        this.m = m;
    }

    /** The state of a sequence that has seen nothing yet (all zeros, stabilizer 0). */
    public static MatrixMemoryState zeros(DataType type, long batch, long heads, long headSize) {
        return new MatrixMemoryState(
                Nd4j.zeros(type, batch, heads, headSize, headSize),
                Nd4j.zeros(type, batch, heads, headSize),
                Nd4j.zeros(type, batch, heads));
    }

    /** A copy outside any workspace, safe to keep across calls. */
    public MatrixMemoryState detachedCopy() {
        return new MatrixMemoryState(c.detach().dup(), n.detach().dup(), m.detach().dup());
    }

    public MatrixMemoryState castTo(DataType type) {
        return new MatrixMemoryState(c.castTo(type), n.castTo(type), m.castTo(type));
    }

    public long batchSize() {
        return m.size(0);
    }
}
