package org.xlstm.dl4j.ops;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;
import static org.xlstm.dl4j.ops.OpSupport.assignGradient;
import static org.xlstm.dl4j.ops.OpSupport.requireRank;
import static org.xlstm.dl4j.ops.OpSupport.requireSameType;
import static org.xlstm.dl4j.ops.OpSupport.requireShape;
import static org.xlstm.dl4j.ops.OpSupport.requireSize;
import static org.xlstm.dl4j.ops.OpSupport.requireVector;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.KernelRegistry;

/**
 * Causal depthwise 1-D convolution over time with kernel size K:
 * {@code y[b,t,c] = bias[c] + sum_j w[j,c] * xe[b,t+j,c]}, where xe is x preceded by the K-1 history
 * steps (zeros when history is null), so {@code w[K-1]} multiplies the current step. The official PyTorch
 * weight [C, 1, K] maps as {@code w[j,c] = torch_w[c,0,j]}.
 *
 * <p>Shapes: x [B, T, C], w [K, C], bias [1, C] or null, history [B, K-1, C] or null.
 */
public final class CausalDepthwiseConv {

    private static final String OP = "CausalDepthwiseConv";

    private CausalDepthwiseConv() {
    }

    /** Returns y [B, T, C]. */
    public static INDArray forward(INDArray x, INDArray w, INDArray b, INDArray history) {
        check(x, w, b, history);
        INDArray fused = KernelRegistry.fusedOps().causalConv(x, w, b, history);
        if (fused != null) {
            return fused;
        }
        int k = (int) w.size(0);
        long t = x.size(1);
        INDArray xe = extend(x, history, k);
        // Each tap is one broadcast multiply over a time-shifted view: K ops instead of a loop over T.
        INDArray y = Nd4j.createUninitialized(x.dataType(), x.shape());
        Broadcast.mul(xe.get(all(), interval(0, t), all()), tap(w, 0), y, 2);
        INDArray term = k > 1 ? Nd4j.createUninitialized(x.dataType(), x.shape()) : null;
        for (int j = 1; j < k; j++) {
            Broadcast.mul(xe.get(all(), interval(j, j + t), all()), tap(w, j), term, 2);
            y.addi(term);
        }
        if (b != null) {
            Broadcast.add(y, b.reshape(b.length()), y, 2);
        }
        return y;
    }

    /** Writes dW [K, C] (and dB unless null) and returns dx [B, T, C]. */
    public static INDArray backward(INDArray x, INDArray w, INDArray history, INDArray dy, INDArray dW,
                                    INDArray dB) {
        check(x, w, null, history);
        requireShape(OP, "dy", dy, x.shape());
        requireShape(OP, "dW", dW, w.shape());
        requireSameType(OP, "dy", dy, x);
        if (dB != null) {
            requireVector(OP, "dB", dB, x.size(2));
        }
        INDArray fused = KernelRegistry.fusedOps().causalConvBackward(x, w, history, dy, dW, dB);
        if (fused != null) {
            return fused;
        }
        int k = (int) w.size(0);
        long t = x.size(1);
        long steps = x.size(0) * t;
        long channels = x.size(2);
        INDArray xe = extend(x, history, k);
        // Sums over batch and time as products with a row of ones, and every product written contiguously:
        // both measured 2-3x faster than ND4J's reduction over leading dimensions or a strided output.
        INDArray ones = Nd4j.ones(x.dataType(), 1, steps);
        INDArray term = Nd4j.createUninitialized(x.dataType(), x.shape());
        INDArray term2 = term.reshape('c', steps, channels);
        // Rows are filled in a fresh array: row views of DL4J's gradient views are unreliable (see tap).
        INDArray dWTaps = Nd4j.createUninitialized(x.dataType(), k, channels);
        for (int j = 0; j < k; j++) {
            dy.mul(xe.get(all(), interval(j, j + t), all()), term);
            dWTaps.get(interval(j, j + 1), all()).assign(Nd4j.gemm(ones, term2, false, false));
        }
        assignGradient(dW, dWTaps);
        if (dB != null) {
            assignGradient(dB, Nd4j.gemm(ones, dy.reshape('c', steps, channels), false, false));
        }
        // dx[s] = sum_j w[j] dy[s + K-1-j] with dy zero beyond T: the same taps run backwards in time.
        INDArray dx = Nd4j.createUninitialized(x.dataType(), x.shape());
        Broadcast.mul(dy, tap(w, k - 1), dx, 2);
        if (k > 1) {
            INDArray dyPadded = Nd4j.concat(1, dy, Nd4j.zeros(x.dataType(), x.size(0), k - 1, channels));
            for (int j = 0; j < k - 1; j++) {
                long lag = k - 1 - j;
                Broadcast.mul(dyPadded.get(all(), interval(lag, lag + t), all()), tap(w, j), term, 2);
                dx.addi(term);
            }
        }
        return dx;
    }

    /**
     * The last K-1 steps of concat(history, x) [B, K-1, C]: the history to pass with the next chunk of the
     * same sequences. For K = 1 this is an empty [B, 0, C] array.
     */
    public static INDArray nextHistory(INDArray x, INDArray history, int k) {
        requireRank(OP, "x", x, 3);
        if (k < 1) {
            throw new IllegalArgumentException(OP + ": kernel size k expected >= 1, got " + k);
        }
        checkHistory(x, history, k);
        if (k == 1) {
            return Nd4j.create(x.dataType(), x.size(0), 0, x.size(2));
        }
        long t = x.size(1);
        if (t >= k - 1) {
            // The window lies within x: no need to concatenate the whole sequence behind the history.
            return x.get(all(), interval(t - (k - 1), t), all()).dup('c');
        }
        return extend(x, history, k).get(all(), interval(t, t + k - 1), all()).dup('c');
    }

    /**
     * As {@link #nextHistory(INDArray, INDArray, int)}, counting only real steps (mask [B, T] > 0): padding
     * at the end of a row does not move its conv window, so a stream continues from its last real input.
     */
    public static INDArray nextHistory(INDArray x, INDArray history, int k, INDArray mask) {
        INDArray plain = nextHistory(x, history, k);
        if (mask == null || k == 1) {
            return plain;
        }
        INDArray extended = extend(x, history, k);
        int[][] sources = windowSources(mask, k - 1);
        for (int row = 0; row < sources.length; row++) {
            for (int slot = 0; slot < k - 1; slot++) {
                plain.get(point(row), point(slot), all()).assign(extended.get(point(row), point(sources[row][slot]), all()));
            }
        }
        return plain;
    }

    /**
     * Backward of {@link #nextHistory(INDArray, INDArray, int, INDArray)} (mask may be null): adds each row of
     * dL/dnext [B, K-1, C] to the row of dx [B, T, C] it was taken from, and returns the part that reaches the
     * history [B, K-1, C] (non-zero where fewer than K-1 real steps followed it).
     */
    public static INDArray nextHistoryBackward(INDArray dNext, INDArray mask, INDArray dx) {
        requireRank(OP, "dNext", dNext, 3);
        requireRank(OP, "dx", dx, 3);
        int keep = (int) dNext.size(1);
        INDArray dHistory = Nd4j.zeros(dx.dataType(), dx.size(0), keep, dx.size(2));
        if (keep == 0) {
            return dHistory;
        }
        INDArray real = mask != null ? mask : Nd4j.ones(dx.dataType(), dx.size(0), dx.size(1));
        int[][] sources = windowSources(real, keep);
        for (int row = 0; row < sources.length; row++) {
            for (int slot = 0; slot < keep; slot++) {
                int s = sources[row][slot];
                INDArray target = s < keep ? dHistory.get(point(row), point(s), all())
                        : dx.get(point(row), point(s - keep), all());
                target.addi(dNext.get(point(row), point(slot), all()));
            }
        }
        return dHistory;
    }

    /**
     * dL/dhistory [B, K-1, C] of {@link #forward} given dy [B, T, C]: history step i enters the outputs
     * t = i - j through taps j <= i.
     */
    public static INDArray historyBackward(INDArray w, INDArray dy) {
        requireRank(OP, "dy", dy, 3);
        int k = (int) w.size(0);
        long t = dy.size(1);
        INDArray dHistory = Nd4j.zeros(dy.dataType(), dy.size(0), k - 1, dy.size(2));
        for (int i = 0; i < k - 1; i++) {
            INDArray step = dHistory.get(all(), point(i), all());
            for (int j = Math.max(0, (int) (i - t + 1)); j <= i; j++) {
                step.addi(dy.get(all(), point(i - j), all()).mulRowVector(tap(w, j).reshape(1, dy.size(2))));
            }
        }
        return dHistory;
    }

    /**
     * For each row of mask [B, T] (1 = real step), the steps of concat(history, x) in the window of the last
     * {@code keep} real ones, oldest first: history steps are 0..keep-1, step t of x is keep + t.
     */
    private static int[][] windowSources(INDArray mask, int keep) {
        double[][] real = mask.toDoubleMatrix();
        int[][] sources = new int[real.length][keep];
        for (int row = 0; row < real.length; row++) {
            int filled = keep;
            for (int s = keep + real[row].length - 1; s >= 0 && filled > 0; s--) {
                if (s < keep || real[row][s - keep] > 0) {
                    sources[row][--filled] = s;
                }
            }
        }
        return sources;
    }

    private static INDArray extend(INDArray x, INDArray history, int k) {
        if (k == 1) {
            return x;
        }
        INDArray h = history != null ? history : Nd4j.zeros(x.dataType(), x.size(0), k - 1, x.size(2));
        return Nd4j.concat(1, h, x);
    }

    private static INDArray tap(INDArray w, int j) {
        // Rows are taken from a copy: in ND4J M2.1 the last row of a reshaped view of DL4J's flat parameter
        // vector can come back as a rank-0 array of the wrong type.
        return w.dup('c').get(point(j), all());
    }

    private static void check(INDArray x, INDArray w, INDArray b, INDArray history) {
        requireRank(OP, "x", x, 3);
        requireRank(OP, "w", w, 2);
        requireSize(OP, "x.size(2) (channels, must equal w.size(1))", x.size(2), w.size(1));
        if (w.size(0) < 1) {
            throw new IllegalArgumentException(OP + ": kernel size w.size(0) expected >= 1, got " + w.size(0));
        }
        requireSameType(OP, "w", w, x);
        if (b != null) {
            requireVector(OP, "b", b, x.size(2));
            requireSameType(OP, "b", b, x);
        }
        checkHistory(x, history, (int) w.size(0));
    }

    private static void checkHistory(INDArray x, INDArray history, int k) {
        if (history != null) {
            requireShape(OP, "history", history, x.size(0), k - 1, x.size(2));
            requireSameType(OP, "history", history, x);
        }
    }
}
