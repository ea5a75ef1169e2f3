package org.xlstm.dl4j.runtime;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The building blocks of the xLSTM layers as SameDiff subgraphs on [B, T, F] sequences: the executable
 * specification that the hand-written runtime in {@code org.xlstm.dl4j.ops} is checked against.
 */
public final class GraphOps {

    private GraphOps() {
    }

    /**
     * x [B, T, in] times w [in, out] (plus b [1, out]), as a matrix product over B*T rows: M2.1's tensorMmul
     * backprop fails on this case ("dimensions at given axes ... must be the same").
     */
    public static SDVariable linear(SameDiff sd, SDVariable x, SDVariable w, SDVariable b) {
        long[] wShape = w.getShape();
        SDVariable y = reshapeTime(sd, sd.mmul(x.reshape(-1, wShape[0]), w), x, wShape[1]);
        return b == null ? y : y.add(b.reshape(-1));
    }

    /** Block-diagonal projection; w [nb, out, in] in the official layout. */
    public static SDVariable blockDiagonal(SameDiff sd, SDVariable x, SDVariable w, SDVariable b, long blocks,
                                           long blockIn, long blockOut) {
        SDVariable rows = x.reshape(-1, blocks, blockIn).permute(1, 0, 2);
        SDVariable y = sd.mmul(rows, w, false, true, false).permute(1, 0, 2);
        SDVariable out = reshapeTime(sd, y, x, blocks * blockOut);
        return b == null ? out : out.add(b.reshape(-1));
    }

    /** Reshapes rows [B*T, ...] back to [B, T, lastDim] using the leading dims of {@code like}. */
    public static SDVariable reshapeTime(SameDiff sd, SDVariable rows, SDVariable like, long lastDim) {
        SDVariable leading = sd.slice(like.shape(), new int[] {0}, 2);
        SDVariable shape = sd.concat(0, leading, sd.constant(Nd4j.createFromArray(lastDim)).castTo(leading.dataType()));
        return sd.reshape(rows, shape);
    }

    /** Causal depthwise conv over time; w [K, C], b [1, C]: y_t = b + sum_j w[j] x_{t-K+1+j}. */
    public static SDVariable causalConv(SameDiff sd, SDVariable x, SDVariable w, SDVariable b, int kernel) {
        SDVariable padding = sd.constant(Nd4j.createFromArray(new int[][] {{0, 0}, {kernel - 1, 0}, {0, 0}}));
        SDVariable padded = sd.nn().pad(x, padding, 0.0);
        SDVariable y = null;
        for (int j = 0; j < kernel; j++) {
            long shiftFromEnd = kernel - 1 - j;
            SDVariable window = shiftFromEnd == 0
                    ? sd.stridedSlice(padded, new long[] {0, j, 0}, new long[] {0, 0, 0}, new long[] {1, 1, 1}, 0, 7, 0, 0, 0)
                    : sd.stridedSlice(padded, new long[] {0, j, 0}, new long[] {0, -shiftFromEnd, 0},
                            new long[] {1, 1, 1}, 0, 5, 0, 0, 0);
            SDVariable term = window.mul(sd.slice(w, new int[] {j, 0}, 1, -1).reshape(-1));
            y = y == null ? term : y.add(term);
        }
        return y.add(b.reshape(-1));
    }

    /**
     * (x - mean) / sqrt(var + eps) * (1 + w) over {@code groups} groups of consecutive features of the last
     * axis of x [B, T, features] (groups = 1: LayerNorm without bias).
     */
    public static SDVariable groupNorm(SameDiff sd, SDVariable x, SDVariable w, long groups, long features,
                                       double eps) {
        SDVariable grouped = x.reshape(-1, groups, features / groups);
        SDVariable centered = grouped.sub(grouped.mean(true, 2));
        SDVariable variance = centered.mul(centered).mean(true, 2);
        SDVariable normed = centered.div(sd.math().sqrt(variance.add(eps)));
        return reshapeTime(sd, normed, x, features).mul(w.reshape(-1).add(1.0));
    }

    public static SDVariable silu(SameDiff sd, SDVariable x) {
        return x.mul(sd.nn().sigmoid(x));
    }

    /** Exact GELU, 0.5 x (1 + erf(x / sqrt 2)). */
    public static SDVariable gelu(SameDiff sd, SDVariable x) {
        return x.mul(sd.math().erf(x.div(Math.sqrt(2.0))).add(1.0)).mul(0.5);
    }

    /** [.., T, T]: 1 where the row (time t) is >= the column (time s), else 0; timeValues is [.., T]. */
    public static SDVariable lowerTriangle(SameDiff sd, SDVariable timeValues) {
        // positions 1..T from a cumulative sum of ones, compared by sign: no T needed at graph-definition time
        SDVariable position = sd.cumsum(sd.onesLike(timeValues), false, false, -1);
        SDVariable row = sd.expandDims(position, -1);
        SDVariable col = sd.expandDims(position, -2);
        return sd.math().sign(row.sub(col).add(0.5)).add(1.0).mul(0.5);
    }
}
