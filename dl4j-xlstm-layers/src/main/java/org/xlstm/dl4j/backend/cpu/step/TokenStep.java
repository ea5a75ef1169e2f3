package org.xlstm.dl4j.backend.cpu.step;

import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The single-token inference form of a {@link org.xlstm.dl4j.runtime.SequenceModule} (the third formulation
 * next to the parallel/chunkwise one and the SameDiff graph): one step for a minibatch, float32, no mask,
 * CPU only. Vectors live in heap arrays and the small element-wise math runs in plain Java loops; the large
 * products go to OpenBLAS on the live parameter views ({@link Blas}), because at one token the fixed cost of
 * an ND4J op (10-25 us) dominates everything else.
 *
 * <p>Rows are c-order: row b of x is {@code x[b*inputSize .. (b+1)*inputSize)}. Implementations keep their
 * scratch between calls and are not thread-safe, like the layer that owns them.
 */
public interface TokenStep {

    /**
     * Adds this step's recurrent state entries for a minibatch of {@code batch}: the keys and shapes the
     * module's general forward pass produces in its final state, so that either path can continue the other.
     */
    void declareState(int batch, Map<String, long[]> shapes);

    /** y = module(x) for one time step; reads and updates the state arrays of {@code state} in place. */
    void step(Map<String, INDArray> params, float[] x, float[] y, int batch, StepState state);
}
