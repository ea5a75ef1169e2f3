package org.xlstm.dl4j.ops;

import static org.xlstm.dl4j.ops.OpSupport.assignGradient;
import static org.xlstm.dl4j.ops.OpSupport.gemmInto;
import static org.xlstm.dl4j.ops.OpSupport.requireRank;
import static org.xlstm.dl4j.ops.OpSupport.requireSameType;
import static org.xlstm.dl4j.ops.OpSupport.requireShape;
import static org.xlstm.dl4j.ops.OpSupport.requireSize;
import static org.xlstm.dl4j.ops.OpSupport.requireVector;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.xlstm.dl4j.kernel.KernelRegistry;

/** Dense affine map {@code y = x w + b}: x [N, in], w [in, out], b [1, out] or null. */
public final class Linear {

    private static final String OP = "Linear";

    private Linear() {
    }

    /** Returns y [N, out]. */
    public static INDArray forward(INDArray x, INDArray w, INDArray b) {
        check(x, w, b);
        INDArray y = Nd4j.createUninitialized(x.dataType(), x.size(0), w.size(1));
        product(false, false, x, w, y);
        if (b != null) {
            y.addiRowVector(b);
        }
        return y;
    }

    /**
     * The two column halves of {@link #forward} as separate dense arrays [N, out/2]: the up-projections
     * whose halves feed different branches. A backend may compute each half as its own product on a column
     * window of w ({@link FusedOps#linearHalves}), so the halves are not copied out of one [N, out] result.
     */
    public static INDArray[] forwardHalves(INDArray x, INDArray w, INDArray b) {
        check(x, w, b);
        if (w.size(1) % 2 != 0) {
            throw new IllegalArgumentException(OP + ": w.size(1) = " + w.size(1) + " expected to be even (two halves)");
        }
        long half = w.size(1) / 2;
        INDArray[] halves = KernelRegistry.fusedOps().linearHalves(x, w);
        if (halves == null) {
            INDArray both = forward(x, w, b);
            return new INDArray[] {both.get(NDArrayIndex.all(), NDArrayIndex.interval(0, half)).dup('c'),
                    both.get(NDArrayIndex.all(), NDArrayIndex.interval(half, 2 * half)).dup('c')};
        }
        if (b != null) {
            INDArray bias = b.reshape(1, b.length());
            for (int i = 0; i < 2; i++) {
                halves[i].addiRowVector(bias.get(NDArrayIndex.all(), NDArrayIndex.interval(i * half, (i + 1) * half)));
            }
        }
        return halves;
    }

    /** Writes dW (and dB unless null) and returns dx [N, in]. */
    public static INDArray backward(INDArray x, INDArray w, INDArray dy, INDArray dW, INDArray dB) {
        check(x, w, null);
        requireShape(OP, "dy", dy, x.size(0), w.size(1));
        requireShape(OP, "dW", dW, w.shape());
        requireSameType(OP, "dy", dy, x);
        if (!KernelRegistry.fusedOps().product(true, false, x, dy, dW)) {
            gemmInto(x, dy, dW, true, false);
        }
        if (dB != null) {
            requireVector(OP, "dB", dB, w.size(1));
            assignGradient(dB, dy.sum(0));
        }
        INDArray dx = Nd4j.createUninitialized(x.dataType(), x.size(0), x.size(1));
        product(false, true, dy, w, dx);
        return dx;
    }

    /** {@code out = op(a) op(b)} into a new c-order {@code out}: the backend's product where it takes it, else ND4J's. */
    private static void product(boolean transposeA, boolean transposeB, INDArray a, INDArray b, INDArray out) {
        if (!KernelRegistry.fusedOps().product(transposeA, transposeB, a, b, out)) {
            Nd4j.gemm(a, b, out, transposeA, transposeB, 1.0, 0.0);
        }
    }

    private static void check(INDArray x, INDArray w, INDArray b) {
        requireRank(OP, "x", x, 2);
        requireRank(OP, "w", w, 2);
        requireSize(OP, "x.size(1) (must equal w.size(0))", x.size(1), w.size(0));
        requireSameType(OP, "w", w, x);
        if (b != null) {
            requireVector(OP, "b", b, w.size(1));
            requireSameType(OP, "b", b, x);
        }
    }
}
