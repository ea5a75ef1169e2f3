package org.xlstm.dl4j.kernel.portable;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Gate pre-activations turned into the log-space quantities of the mLSTM recurrence. */
final class GateLogs {
    /** The normalizer's additive epsilon of the reference implementation. */
    static final double EPS = 1e-6;

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

    /** [L, L]: 0 on and below the diagonal, -inf above, added to log decays to make them causal. */
    static INDArray causalLogMask(DataType type, int length) {
        return Transforms.log(Nd4j.tri(length).castTo(type), false);
    }
}
