package org.xlstm.dl4j.kernel.portable;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.CumSum;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;

/** Gate pre-activations turned into the log-space quantities of the mLSTM recurrence. */
final class GateLogs {
    /** The normalizer's additive epsilon of the reference implementation. */
    static final double EPS = MatrixMemoryKernel.NORMALIZER_EPS;

    private GateLogs() {
    }

    /**
     * log(sigmoid(x)) as min(x, 0) - log1p(exp(-|x|)): ND4J's softplus computes log(1 + exp(x)) directly,
     * which overflows for strongly negative forget gates.
     */
    static INDArray logSigmoid(INDArray x) {
        INDArray tail = Transforms.log1p(Transforms.exp(Transforms.abs(x).negi(), false), false);
        return Transforms.min(x, 0.0).subi(tail);
    }

    /**
     * Log forget gates with masked steps set to 0, so that a masked step keeps the state as it is.
     * {@code mask} is 0/1 and broadcastable against {@code fgate}.
     */
    static INDArray maskedLogForget(INDArray fgate, INDArray mask) {
        return logSigmoid(fgate).muli(mask);
    }

    /** Input-gate logs with masked steps at -inf, so that a masked step adds nothing to the state. */
    static INDArray maskedLogInput(INDArray igate, INDArray mask) {
        return igate.add(Transforms.log(mask, true));
    }

    /** d logsigmoid(f) / df = sigmoid(-f), zeroed where masked (a masked step ignores its gate). */
    static INDArray forgetSlope(INDArray fgate, INDArray mask) {
        return Transforms.sigmoid(fgate.neg(), false).muli(mask);
    }

    /**
     * Cumulative sum along dimension 1 of [N, L], from the end when {@code reverse}. Uses the cumsum op
     * directly: INDArray.cumsum(1) sums across rows instead when L is 1 (M2.1).
     */
    static INDArray cumulativeSum(INDArray x, boolean reverse) {
        return Nd4j.exec(new CumSum(x, false, reverse, 1))[0];
    }

    /** [L, L]: 0 on and below the diagonal, -inf above, added to log decays to make them causal. */
    static INDArray causalLogMask(DataType type, int length) {
        // Built from j - s >= 0 rather than Nd4j.tri, which returns [[0]] for length 1 in M2.1.
        INDArray steps = Nd4j.arange(0, length).castTo(type);
        INDArray lag = steps.reshape(length, 1).sub(steps.reshape(1, length));
        return Transforms.log(lag.gte(0).castTo(type), false);
    }
}
