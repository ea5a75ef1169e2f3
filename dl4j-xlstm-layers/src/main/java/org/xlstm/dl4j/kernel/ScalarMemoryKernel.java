package org.xlstm.dl4j.kernel;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The sLSTM scalar-memory cell (xLSTM, Beck et al. 2024) with memory mixing through a block-diagonal
 * recurrent matrix. Per unit, with pre-activations {@code [i, f, z, o]_t = preact_t + R h_{t-1}}:
 *
 * <pre>
 *   m_t = i_t                                    where n_{t-1} == 0 (a unit that has seen nothing yet)
 *       = max(i_t, m_{t-1} + logsigmoid(f_t))    otherwise
 *   i'  = min(exp(i_t - m_t), 1),  f' = min(exp(m_{t-1} + logsigmoid(f_t) - m_t), 1)
 *   c_t = f' c_{t-1} + i' tanh(z_t),  n_t = f' n_{t-1} + i',  h_t = sigmoid(o_t) c_t / n_t
 * </pre>
 *
 * <p>Shapes: preact [B, T, NH, 4, DH] (gate order i, f, z, o; input projections plus bias), recurrent
 * kernel R [NH, DH_in, 4, DH_out] (the official external layout: gates of head g are
 * {@code h_{t-1}[g] . R[g]}), mask [B, T] (1 real step, 0 padding: state unchanged, output 0) or null,
 * initial state null for zeros. The sequence form is inherently sequential (h feeds the gates).
 *
 * <p>The official code applies the fresh-state rule only when n is zero for the whole minibatch; applying
 * it per unit gives the same h (the state is scale-invariant: c*exp(m) and n*exp(m) are what count) and
 * keeps a padded row that starts later equal to the same row run alone.
 */
public interface ScalarMemoryKernel {

    String name();

    ScalarMemoryForward forward(INDArray preact, INDArray recurrent, INDArray mask, ScalarMemoryState initial);

    /** Backward through time given dL/dh [B, T, NH*DH]. */
    ScalarMemoryGradients backward(ScalarMemoryForward forward, INDArray dh);

    /** One step: preact [B, NH, 4, DH]; mask [B] or null. */
    ScalarMemoryStep step(INDArray preact, INDArray recurrent, INDArray mask, ScalarMemoryState state);
}
