package org.xlstm.dl4j.kernel;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Result of one recurrent step of the matrix memory. */
public final class MatrixMemoryStep {
    /** [B, NH, DH]. */
    public final INDArray h;
    public final MatrixMemoryState state;

    public MatrixMemoryStep(INDArray h, MatrixMemoryState state) {
        this.h = h;
        this.state = state;
    }
}
