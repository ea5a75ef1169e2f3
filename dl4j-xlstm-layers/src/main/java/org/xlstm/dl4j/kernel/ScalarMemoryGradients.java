package org.xlstm.dl4j.kernel;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Gradients of a loss with respect to the inputs of {@link ScalarMemoryKernel#forward}. */
public final class ScalarMemoryGradients {
    /** [B, T, NH, 4, DH]: w.r.t. the gate pre-activations coming from the input (i, f, z, o). */
    public final INDArray dPreact;
    /** [NH, DH, 4, DH]: w.r.t. the recurrent kernel. */
    public final INDArray dRecurrent;
    /** W.r.t. the initial state, or null when the forward pass started from zeros. */
    public final ScalarMemoryState dInitial;

    public ScalarMemoryGradients(INDArray dPreact, INDArray dRecurrent, ScalarMemoryState dInitial) {
        this.dPreact = dPreact;
        this.dRecurrent = dRecurrent;
        this.dInitial = dInitial;
    }
}
