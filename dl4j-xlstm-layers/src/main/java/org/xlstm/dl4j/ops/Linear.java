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
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

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
     * whose halves feed different branches. On the CPU backend each half is its own product on a column
     * window of w, so the halves are not copied out of one [N, out] result.
     */
    public static INDArray[] forwardHalves(INDArray x, INDArray w, INDArray b) {
        check(x, w, b);
        if (w.size(1) % 2 != 0) {
            throw new IllegalArgumentException(OP + ": w.size(1) = " + w.size(1) + " expected to be even (two halves)");
        }
        long half = w.size(1) / 2;
        INDArray[] halves = new INDArray[2];
        boolean onHost = onHost(x, w);
        INDArray both = onHost ? null : forward(x, w, b);
        INDArray bias = b == null ? null : b.reshape(1, b.length()).dup('c');
        for (int i = 0; i < 2; i++) {
            INDArrayIndex columns = NDArrayIndex.interval(i * half, (i + 1) * half);
            if (onHost) {
                halves[i] = Nd4j.createUninitialized(x.dataType(), x.size(0), half);
                HostGemm.gemm(false, false, (int) x.size(0), (int) half, (int) x.size(1), new HostGemm.Window(x, 0),
                        new HostGemm.Window(w, i * half), new HostGemm.Window(halves[i], 0));
                if (bias != null) {
                    halves[i].addiRowVector(bias.get(NDArrayIndex.all(), columns));
                }
            } else {
                halves[i] = both.get(NDArrayIndex.all(), columns).dup('c');
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
        if (onHost(x, dy) && HostBlas.addressable(dW) && dW.dataType() == x.dataType()) {
            HostGemm.gemm(true, false, (int) w.size(0), (int) w.size(1), (int) x.size(0), new HostGemm.Window(x, 0),
                    new HostGemm.Window(dy, 0), new HostGemm.Window(dW, 0));
        } else {
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

    /** {@code out = op(a) op(b)} into a new c-order {@code out}: a host GEMM where it applies, else ND4J's. */
    private static void product(boolean transposeA, boolean transposeB, INDArray a, INDArray b, INDArray out) {
        if (onHost(a, b)) {
            int k = (int) (transposeA ? a.size(0) : a.size(1));
            HostGemm.gemm(transposeA, transposeB, (int) out.size(0), (int) out.size(1), k, new HostGemm.Window(a, 0),
                    new HostGemm.Window(b, 0), new HostGemm.Window(out, 0));
        } else {
            Nd4j.gemm(a, b, out, transposeA, transposeB, 1.0, 0.0);
        }
    }

    /** Whether the product can run as a host GEMM on windows of the arrays in place (CPU backend). */
    private static boolean onHost(INDArray a, INDArray b) {
        return HostBlas.available() && a.size(0) > 0 && b.size(0) > 0 && HostBlas.addressable(a)
                && HostBlas.addressable(b) && a.dataType() == b.dataType();
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
