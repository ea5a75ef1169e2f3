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

/** Dense affine map {@code y = x w + b}: x [N, in], w [in, out], b [1, out] or null. */
public final class Linear {

    private static final String OP = "Linear";

    private Linear() {
    }

    /** Returns y [N, out]. */
    public static INDArray forward(INDArray x, INDArray w, INDArray b) {
        check(x, w, b);
        INDArray y = Nd4j.createUninitialized(x.dataType(), x.size(0), w.size(1));
        Nd4j.gemm(x, w, y, false, false, 1.0, 0.0);
        if (b != null) {
            y.addiRowVector(b);
        }
        return y;
    }

    /** Writes dW (and dB unless null) and returns dx [N, in]. */
    public static INDArray backward(INDArray x, INDArray w, INDArray dy, INDArray dW, INDArray dB) {
        check(x, w, null);
        requireShape(OP, "dy", dy, x.size(0), w.size(1));
        requireShape(OP, "dW", dW, w.shape());
        requireSameType(OP, "dy", dy, x);
        gemmInto(x, dy, dW, true, false);
        if (dB != null) {
            requireVector(OP, "dB", dB, w.size(1));
            assignGradient(dB, dy.sum(0));
        }
        INDArray dx = Nd4j.createUninitialized(x.dataType(), x.size(0), x.size(1));
        Nd4j.gemm(dy, w, dx, false, true, 1.0, 0.0);
        return dx;
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
