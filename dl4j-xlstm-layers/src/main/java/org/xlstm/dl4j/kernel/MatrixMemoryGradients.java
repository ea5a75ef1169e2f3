package org.xlstm.dl4j.kernel;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Gradients of a loss with respect to the inputs of {@link MatrixMemoryKernel#forward}. */
public final class MatrixMemoryGradients {
    /** [B, NH, T, DH] each. */
    public final INDArray dq, dk, dv;
    /** [B, NH, T] each: gradients w.r.t. the input- and forget-gate pre-activations. */
    public final INDArray dIgate, dFgate;
    /** Gradient w.r.t. the initial state, or null when the forward pass started from zeros. */
    public final MatrixMemoryState dInitial;

    public MatrixMemoryGradients(INDArray dq, INDArray dk, INDArray dv, INDArray dIgate, INDArray dFgate,
                                 MatrixMemoryState dInitial) {
        this.dq = dq;
        this.dk = dk;
        this.dv = dv;
        this.dIgate = dIgate;
        this.dFgate = dFgate;
        this.dInitial = dInitial;
    }
}
