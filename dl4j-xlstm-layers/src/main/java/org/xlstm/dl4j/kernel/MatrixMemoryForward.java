package org.xlstm.dl4j.kernel;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Result of a chunkwise matrix-memory forward pass.
 *
 * <p>{@code residuals} is whatever the producing kernel needs to run its backward pass (for the portable
 * kernel: the inputs and the state at every chunk boundary). Only the kernel that produced it may read it.
 */
public final class MatrixMemoryForward {
    /** Hidden states [B, NH, T, DH]; may share storage with the residuals, so never modify it in place. */
    public final INDArray h;
    /** State after the last (unmasked) step. */
    public final MatrixMemoryState finalState;
    /** Kernel-private data for {@link MatrixMemoryKernel#backward}. */
    public final Object residuals;

    public MatrixMemoryForward(INDArray h, MatrixMemoryState finalState, Object residuals) {
        this.h = h;
        this.finalState = finalState;
        this.residuals = residuals;
    }
}
