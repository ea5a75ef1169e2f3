package org.xlstm.dl4j.kernel;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Result of one sLSTM step. */
public final class ScalarMemoryStep {
    /** [B, NH*DH]. */
    public final INDArray h;
    public final ScalarMemoryState state;

    public ScalarMemoryStep(INDArray h, ScalarMemoryState state) {
        this.h = h;
        this.state = state;
    }
}
