package org.xlstm.dl4j.ops;

import static org.xlstm.dl4j.ops.OpSupport.assignGradient;
import static org.xlstm.dl4j.ops.OpSupport.requireRank;
import static org.xlstm.dl4j.ops.OpSupport.requireSameType;
import static org.xlstm.dl4j.ops.OpSupport.requireShape;
import static org.xlstm.dl4j.ops.OpSupport.requireSize;
import static org.xlstm.dl4j.ops.OpSupport.requireVector;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.KernelRegistry;

/**
 * Block-diagonal linear map (the official {@code LinearHeadwiseExpand}): the features are split into nb
 * blocks and block i is mapped by its own matrix, {@code y_i = x_i w[i]^T (+ b_i)}.
 *
 * <p>Shapes: x [N, nb*bin], w [nb, bout, bin] (the PyTorch layout), b [1, nb*bout] or null.
 */
public final class BlockDiagonalLinear {

    private static final String OP = "BlockDiagonalLinear";

    private BlockDiagonalLinear() {
    }

    /** Returns y [N, nb*bout]. */
    public static INDArray forward(INDArray x, INDArray w, INDArray b) {
        check(x, w, b);
        long nb = w.size(0);
        INDArray y = KernelRegistry.fusedOps().blockDiagonal(x, w);
        if (y == null) {
            INDArray xb = blocksFirst(x, nb, w.size(2));
            INDArray yb = Nd4j.createUninitialized(x.dataType(), nb, x.size(0), w.size(1));
            BatchedMatmul.into(xb, w, yb, false, true);
            y = blocksLast(yb);
        }
        if (b != null) {
            y.addiRowVector(b);
        }
        return y;
    }

    /** Writes dW [nb, bout, bin] (and dB unless null) and returns dx [N, nb*bin]. */
    public static INDArray backward(INDArray x, INDArray w, INDArray dy, INDArray dW, INDArray dB) {
        check(x, w, null);
        long nb = w.size(0);
        long bout = w.size(1);
        requireShape(OP, "dy", dy, x.size(0), nb * bout);
        requireShape(OP, "dW", dW, w.shape());
        requireSameType(OP, "dy", dy, x);
        if (dB != null) {
            requireVector(OP, "dB", dB, nb * bout);
            assignGradient(dB, dy.sum(0));
        }
        INDArray fused = KernelRegistry.fusedOps().blockDiagonalBackward(x, w, dy, dW);
        if (fused != null) {
            return fused;
        }
        INDArray xb = blocksFirst(x, nb, w.size(2));
        INDArray dyb = blocksFirst(dy, nb, bout);
        if (dW.elementWiseStride() == 1 && dW.ordering() == 'c') {
            BatchedMatmul.into(dyb, xb, dW, true, false);
        } else {
            dW.assign(Nd4j.matmul(dyb, xb, true, false, false));
        }
        INDArray dxb = Nd4j.createUninitialized(x.dataType(), nb, x.size(0), w.size(2));
        BatchedMatmul.into(dyb, w, dxb, false, false);
        return blocksLast(dxb);
    }

    /** [N, nb*s] -> contiguous [nb, N, s], so one batched matmul covers all blocks. */
    private static INDArray blocksFirst(INDArray a, long nb, long s) {
        return a.reshape('c', a.size(0), nb, s).permute(1, 0, 2).dup('c');
    }

    /** Inverse of {@link #blocksFirst}: [nb, N, s] -> [N, nb*s]. */
    private static INDArray blocksLast(INDArray a) {
        long nb = a.size(0);
        long n = a.size(1);
        long s = a.size(2);
        return a.permute(1, 0, 2).dup('c').reshape('c', n, nb * s);
    }

    private static void check(INDArray x, INDArray w, INDArray b) {
        requireRank(OP, "x", x, 2);
        requireRank(OP, "w", w, 3);
        requireSize(OP, "x.size(1) (must equal nb*bin = w.size(0)*w.size(2))", x.size(1), w.size(0) * w.size(2));
        requireSameType(OP, "w", w, x);
        if (b != null) {
            requireVector(OP, "b", b, w.size(0) * w.size(1));
            requireSameType(OP, "b", b, x);
        }
    }
}
