package org.xlstm.dl4j.ops;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Faster forms of the layer ops that a backend may offer next to their ND4J forms in this package. The ops
 * check their arguments, then offer them to the active backend's {@code FusedOps}
 * ({@link org.xlstm.dl4j.kernel.KernelRegistry#fusedOps()}); a method that does not take the arrays it is
 * given (another data type, a strided view, an empty array) returns null or false, and the op runs its ND4J
 * form. The reference backend offers none, so every op runs its ND4J form there.
 *
 * <p>Each method has the contract of the op it names (see that op's documentation); biases are added by
 * the caller.
 */
public interface FusedOps {

    /** Offers nothing: every op runs its ND4J form. */
    FusedOps NONE = new FusedOps() {
    };

    /** {@link GroupNorm#forward}. */
    default INDArray groupNorm(INDArray x, INDArray w, int groups, double eps) {
        return null;
    }

    /** {@link GroupNorm#backward}. */
    default INDArray groupNormBackward(INDArray x, INDArray w, int groups, double eps, INDArray dy, INDArray dW) {
        return null;
    }

    /** {@link NormSkipGate#forward}. */
    default INDArray normSkipGate(INDArray h, INDArray x, INDArray z, INDArray w, INDArray skip, int groups,
                                  double eps) {
        return null;
    }

    /** {@link NormSkipGate#backward}. */
    default NormSkipGate.Gradients normSkipGateBackward(INDArray h, INDArray x, INDArray z, INDArray w,
                                                        INDArray skip, int groups, double eps, INDArray dy,
                                                        INDArray dW, INDArray dSkip) {
        return null;
    }

    /** {@link Activations#silu}. */
    default INDArray silu(INDArray x) {
        return null;
    }

    /** {@link Activations#siluBackward}. */
    default INDArray siluBackward(INDArray x, INDArray dy) {
        return null;
    }

    /** {@link BlockDiagonalLinear#forward} without the bias. */
    default INDArray blockDiagonal(INDArray x, INDArray w) {
        return null;
    }

    /** {@link BlockDiagonalLinear#backward} without the bias gradient: writes dW, returns dx. */
    default INDArray blockDiagonalBackward(INDArray x, INDArray w, INDArray dy, INDArray dW) {
        return null;
    }

    /** {@link CausalDepthwiseConv#forward}. */
    default INDArray causalConv(INDArray x, INDArray w, INDArray b, INDArray history) {
        return null;
    }

    /** {@link CausalDepthwiseConv#backward}. */
    default INDArray causalConvBackward(INDArray x, INDArray w, INDArray history, INDArray dy, INDArray dW,
                                        INDArray dB) {
        return null;
    }

    /** {@code out = op(a) op(b)} into an existing 2-d {@code out}; false where not taken. */
    default boolean product(boolean transposeA, boolean transposeB, INDArray a, INDArray b, INDArray out) {
        return false;
    }

    /** {@link Linear#forwardHalves} without the bias. */
    default INDArray[] linearHalves(INDArray x, INDArray w) {
        return null;
    }

    /** {@link ConcatInputLinear#forward} without the biases. */
    default INDArray[] concatInputLinear(INDArray[] inputs, INDArray[] weights) {
        return null;
    }

    /** {@link ConcatInputLinear#backward} without the bias gradients; false where not taken. */
    default boolean concatInputLinearBackward(INDArray[] inputs, INDArray[] weights, INDArray[] dOutputs,
                                              INDArray[] dWeights, INDArray[] dInputs) {
        return false;
    }

    /** {@link HeadLayout#toHeads}. */
    default INDArray toHeads(INDArray rows, long batch, long steps, long heads, long headSize) {
        return null;
    }

    /** {@link HeadLayout#fromHeads}. */
    default INDArray fromHeads(INDArray heads) {
        return null;
    }
}
