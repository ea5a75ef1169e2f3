package org.xlstm.dl4j.ops;

import static org.xlstm.dl4j.ops.OpSupport.assignGradient;
import static org.xlstm.dl4j.ops.OpSupport.requireSameType;
import static org.xlstm.dl4j.ops.OpSupport.requireShape;
import static org.xlstm.dl4j.ops.OpSupport.requireVector;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.kernel.KernelRegistry;

/**
 * The output of the mLSTM layer before its down-projection,
 * {@code y = (GroupNorm(h; w) + x * skip) * SiLU(z)}: the per-head normalised cell output plus a learnable
 * skip of the conv branch x, gated by SiLU of the up-projection's second half z. h, x, z and y are
 * [N, G*S]; w (stored around 0, scaling by 1 + w) and skip are [1, G*S].
 *
 * <p>The active backend's {@link FusedOps} may take the arrays (the CPU backend: one pass over the rows
 * instead of a {@link GroupNorm}, a SiLU and three element-wise passes). Everything else composes
 * {@link GroupNorm} and {@link Activations}.
 */
public final class NormSkipGate {

    private static final String OP = "NormSkipGate";

    private NormSkipGate() {
    }

    /** The gradients of the array inputs, each [N, G*S]. */
    public static final class Gradients {
        public final INDArray dh;
        public final INDArray dx;
        public final INDArray dz;

        public Gradients(INDArray dh, INDArray dx, INDArray dz) {
            this.dh = dh;
            this.dx = dx;
            this.dz = dz;
        }
    }

    /** Returns y [N, G*S]. */
    public static INDArray forward(INDArray h, INDArray x, INDArray z, INDArray w, INDArray skip, int groups,
                                   double eps) {
        check(h, x, z, w, skip, groups);
        INDArray fused = KernelRegistry.fusedOps().normSkipGate(h, x, z, w, skip, groups, eps);
        if (fused != null) {
            return fused;
        }
        return skipped(h, x, w, skip, groups, eps).muli(Activations.silu(z));
    }

    /** Writes dW and dSkip (assign semantics) and returns the gradients of h, x and z. */
    public static Gradients backward(INDArray h, INDArray x, INDArray z, INDArray w, INDArray skip, int groups,
                                     double eps, INDArray dy, INDArray dW, INDArray dSkip) {
        check(h, x, z, w, skip, groups);
        requireShape(OP, "dy", dy, h.shape());
        requireSameType(OP, "dy", dy, h);
        requireVector(OP, "dW", dW, h.size(1));
        requireVector(OP, "dSkip", dSkip, h.size(1));
        Gradients fused = KernelRegistry.fusedOps().normSkipGateBackward(h, x, z, w, skip, groups, eps, dy, dW,
                dSkip);
        if (fused != null) {
            return fused;
        }
        INDArray dSkipped = dy.mul(Activations.silu(z));
        INDArray dz = Activations.siluBackward(z, dy.mul(skipped(h, x, w, skip, groups, eps)));
        assignGradient(dSkip, dSkipped.mul(x).sum(0));
        INDArray dx = dSkipped.mulRowVector(skip);
        INDArray dh = GroupNorm.backward(h, w, groups, eps, dSkipped, dW);
        return new Gradients(dh, dx, dz);
    }

    /** GroupNorm(h; w) + x * skip, a new array. */
    private static INDArray skipped(INDArray h, INDArray x, INDArray w, INDArray skip, int groups, double eps) {
        return GroupNorm.forward(h, w, groups, eps).addi(x.mulRowVector(skip));
    }

    private static void check(INDArray h, INDArray x, INDArray z, INDArray w, INDArray skip, int groups) {
        GroupNorm.check(h, w, groups);
        requireShape(OP, "x", x, h.shape());
        requireShape(OP, "z", z, h.shape());
        requireSameType(OP, "x", x, h);
        requireSameType(OP, "z", z, h);
        requireVector(OP, "skip", skip, h.size(1));
        requireSameType(OP, "skip", skip, h);
    }
}
