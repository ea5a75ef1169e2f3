package org.xlstm.dl4j.kernel;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Result of an sLSTM sequence forward pass; {@code residuals} belong to the producing kernel. */
public final class ScalarMemoryForward {
    /** Hidden states [B, T, NH*DH]. */
    public final INDArray h;
    public final ScalarMemoryState finalState;
    public final Object residuals;

    public ScalarMemoryForward(INDArray h, ScalarMemoryState finalState, Object residuals) {
        this.h = h;
        this.finalState = finalState;
        this.residuals = residuals;
    }
}
