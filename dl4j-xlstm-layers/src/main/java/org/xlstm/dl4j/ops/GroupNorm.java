package org.xlstm.dl4j.ops;

import static org.xlstm.dl4j.ops.OpSupport.assignGradient;
import static org.xlstm.dl4j.ops.OpSupport.requireRank;
import static org.xlstm.dl4j.ops.OpSupport.requireSameType;
import static org.xlstm.dl4j.ops.OpSupport.requireShape;
import static org.xlstm.dl4j.ops.OpSupport.requireVector;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.xlstm.dl4j.kernel.KernelRegistry;

/**
 * Group normalisation without bias, as xLSTM uses it: x [N, G*S] is normalised over each group of S
 * consecutive features with the biased variance, then scaled by {@code 1 + w} (w [1, G*S], stored around
 * 0). LayerNorm is the case G = 1.
 *
 * <p>The active backend's {@link FusedOps} may take the arrays (the CPU backend's fused row loop for dense
 * float32); the ND4J ops below serve everything else.
 */
public final class GroupNorm {

    private static final String OP = "GroupNorm";

    private GroupNorm() {
    }

    /** Returns y [N, G*S]. */
    public static INDArray forward(INDArray x, INDArray w, int groups, double eps) {
        check(x, w, groups);
        INDArray fused = KernelRegistry.fusedOps().groupNorm(x, w, groups, eps);
        if (fused != null) {
            return fused;
        }
        Normalized n = normalize(x, groups, eps);
        return n.xhat.reshape('c', x.size(0), x.size(1)).muliRowVector(scale(w));
    }

    /** Writes dW [1, G*S] and returns dx [N, G*S]. Statistics are recomputed rather than cached. */
    public static INDArray backward(INDArray x, INDArray w, int groups, double eps, INDArray dy, INDArray dW) {
        check(x, w, groups);
        requireShape(OP, "dy", dy, x.shape());
        requireVector(OP, "dW", dW, x.size(1));
        requireSameType(OP, "dy", dy, x);
        INDArray fused = KernelRegistry.fusedOps().groupNormBackward(x, w, groups, eps, dy, dW);
        if (fused != null) {
            return fused;
        }
        long n = x.size(0);
        long f = x.size(1);
        Normalized st = normalize(x, groups, eps);
        INDArray xhat = st.xhat;
        assignGradient(dW, dy.mul(xhat.reshape('c', n, f)).sum(0));
        // With g = dL/dxhat: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), means over each group.
        INDArray g = dy.mulRowVector(scale(w)).reshape('c', xhat.shape());
        INDArray meanG = g.mean(2);
        INDArray meanGx = g.mul(xhat).mean(2);
        Broadcast.sub(g, meanG, g, 0, 1);
        g.subi(Broadcast.mul(xhat, meanGx, xhat, 0, 1));
        Broadcast.mul(g, st.rstd, g, 0, 1);
        return g.reshape('c', n, f);
    }

    private static final class Normalized {
        /** [N, G, S], a fresh array. */
        final INDArray xhat;
        /** 1 / sqrt(var + eps), [N, G]. */
        final INDArray rstd;

        Normalized(INDArray xhat, INDArray rstd) {
            this.xhat = xhat;
            this.rstd = rstd;
        }
    }

    private static Normalized normalize(INDArray x, int groups, double eps) {
        INDArray x3 = x.reshape('c', x.size(0), groups, x.size(1) / groups);
        INDArray centered = Nd4j.createUninitialized(x.dataType(), x3.shape());
        Broadcast.sub(x3, x3.mean(2), centered, 0, 1);
        INDArray variance = centered.mul(centered).mean(2);
        INDArray rstd = Transforms.sqrt(variance.addi(eps), false).rdivi(1.0);
        Broadcast.mul(centered, rstd, centered, 0, 1);
        return new Normalized(centered, rstd);
    }

    private static INDArray scale(INDArray w) {
        return w.reshape(1, w.length()).add(1.0);
    }

    public static void check(INDArray x, INDArray w, int groups) {
        requireRank(OP, "x", x, 2);
        if (groups < 1 || x.size(1) % groups != 0) {
            throw new IllegalArgumentException(OP + ": features x.size(1) = " + x.size(1)
                    + " expected to be divisible by groups = " + groups);
        }
        requireVector(OP, "w", w, x.size(1));
        requireSameType(OP, "w", w, x);
    }
}
