package org.xlstm.dl4j.kernel;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The mLSTM matrix-memory cell (xLSTM, Beck et al. 2024), per head:
 *
 * <pre>
 *   k'_t = k_t / sqrt(DH)
 *   m_t  = max(logsigmoid(f_t) + m_{t-1}, i_t)
 *   C_t  = exp(logsigmoid(f_t) + m_{t-1} - m_t) C_{t-1} + exp(i_t - m_t) k'_t v_t^T
 *   n_t  = exp(logsigmoid(f_t) + m_{t-1} - m_t) n_{t-1} + exp(i_t - m_t) k'_t
 *   h_t  = C_t^T q_t / (max(|n_t . q_t|, exp(-m_t)) + 1e-6)
 * </pre>
 *
 * <p>Shapes: q, k, v [B, NH, T, DH]; igate, fgate (pre-activations) [B, NH, T]; mask [B, T] with 1 for a
 * real step and 0 for padding, or null for all ones. A masked step leaves the state unchanged and
 * outputs zeros. A null initial state means zeros. All arrays share one floating-point data type. Inputs
 * may be views in any layout (e.g. permuted); implementations never modify them.
 *
 * <p>Implementations: the portable ND4J one in this module, a fused CUDA one in {@code dl4j-xlstm-cuda};
 * {@link KernelRegistry} chooses.
 */
public interface MatrixMemoryKernel {

    /** The normalizer's additive epsilon (the 1e-6 above), as the reference implementation. */
    double NORMALIZER_EPS = 1e-6;

    /** A short name for logs and error messages. */
    String name();

    /**
     * Chunkwise forward over the whole sequence. {@code chunkSize} is a hint; any T is accepted (T need
     * not be a multiple of it).
     */
    MatrixMemoryForward forward(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                                INDArray mask, MatrixMemoryState initial, int chunkSize);

    /**
     * {@link #forward} when no backward follows: implementations may skip keeping what only the backward
     * reads, so the result may not be passed to {@link #backward}.
     */
    default MatrixMemoryForward inferenceForward(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                                                 INDArray mask, MatrixMemoryState initial, int chunkSize) {
        return forward(q, k, v, igate, fgate, mask, initial, chunkSize);
    }

    /**
     * Backward of {@link #forward}: gradients of the loss given dL/dh ([B, NH, T, DH]). The stabilizer
     * m is treated as a constant, which is exact wherever the normalizer floor exp(-m) is not active.
     */
    MatrixMemoryGradients backward(MatrixMemoryForward forward, INDArray dh);

    /**
     * {@link #backward(MatrixMemoryForward, INDArray)} of a forward whose final state the loss also depends on
     * (through a later stretch of the sequence): {@code dFinal} holds dL/dC and dL/dn of
     * {@link MatrixMemoryForward#finalState} (its {@code m} is ignored: the stabilizer is a constant here as
     * everywhere), or is null for none. What training a long sequence in pieces of time needs; only where
     * {@link #acceptsFinalStateGradient()} holds.
     */
    default MatrixMemoryGradients backward(MatrixMemoryForward forward, INDArray dh, MatrixMemoryState dFinal) {
        if (dFinal == null) {
            return backward(forward, dh);
        }
        throw new UnsupportedOperationException("matrix-memory kernel '" + name()
                + "' takes no final-state gradient (acceptsFinalStateGradient() is false)");
    }

    /** Whether {@link #backward(MatrixMemoryForward, INDArray, MatrixMemoryState)} takes a final-state gradient. */
    default boolean acceptsFinalStateGradient() {
        return false;
    }

    /** One recurrent step: q, k, v [B, NH, DH]; igate, fgate [B, NH]; mask [B] or null. */
    MatrixMemoryStep step(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                          INDArray mask, MatrixMemoryState state);
}
