package org.xlstm.dl4j.backend.cpu;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.ops.FusedOps;
import org.xlstm.dl4j.ops.NormSkipGate;

/**
 * The CPU backend's op forms: fused Java row loops over dense c-order float32 arrays, and OpenBLAS products
 * on windows of arrays in place. Each takes only arrays it can address and leaves the rest to ND4J.
 */
final class CpuFusedOps implements FusedOps {
    static final CpuFusedOps INSTANCE = new CpuFusedOps();

    private CpuFusedOps() {
    }

    @Override
    public INDArray groupNorm(INDArray x, INDArray w, int groups, double eps) {
        return HostArrays.usable(x, w) ? HostGroupNorm.forward(x, w, groups, eps) : null;
    }

    @Override
    public INDArray groupNormBackward(INDArray x, INDArray w, int groups, double eps, INDArray dy, INDArray dW) {
        return HostArrays.usable(x, w, dy) ? HostGroupNorm.backward(x, w, groups, eps, dy, dW) : null;
    }

    @Override
    public INDArray normSkipGate(INDArray h, INDArray x, INDArray z, INDArray w, INDArray skip, int groups,
                                 double eps) {
        return HostArrays.usable(h, x, z, w, skip) ? HostNormSkipGate.forward(h, x, z, w, skip, groups, eps) : null;
    }

    @Override
    public NormSkipGate.Gradients normSkipGateBackward(INDArray h, INDArray x, INDArray z, INDArray w, INDArray skip,
                                                       int groups, double eps, INDArray dy, INDArray dW,
                                                       INDArray dSkip) {
        return HostArrays.usable(h, x, z, w, skip, dy)
                ? HostNormSkipGate.backward(h, x, z, w, skip, groups, eps, dy, dW, dSkip) : null;
    }

    @Override
    public INDArray silu(INDArray x) {
        return HostArrays.usable(x) ? HostPointwise.silu(x) : null;
    }

    @Override
    public INDArray siluBackward(INDArray x, INDArray dy) {
        return HostArrays.usable(x, dy) ? HostPointwise.siluBackward(x, dy) : null;
    }

    /**
     * Small square blocks take a Java loop; larger ones OpenBLAS on column groups of x in place, where ND4J
     * permutes x and y into block-major copies (strided copies of runs of bin elements, which cost more than
     * all the arithmetic for small blocks).
     */
    @Override
    public INDArray blockDiagonal(INDArray x, INDArray w) {
        if (HostSmallBlockDiagonal.applies(w, x)) {
            return HostSmallBlockDiagonal.forward(x, w);
        }
        if (!blasAddresses(x)) {
            return null;
        }
        INDArray y = Nd4j.createUninitialized(x.dataType(), x.size(0), w.size(0) * w.size(1));
        HostBlockDiagonal.forward(x, w, y);
        return y;
    }

    @Override
    public INDArray blockDiagonalBackward(INDArray x, INDArray w, INDArray dy, INDArray dW) {
        if (HostSmallBlockDiagonal.applies(w, x, dy)) {
            return HostSmallBlockDiagonal.backward(x, w, dy, dW);
        }
        if (!blasAddresses(x) || !HostBlas.addressable(dy)) {
            return null;
        }
        INDArray dx = Nd4j.createUninitialized(x.dataType(), x.size(0), x.size(1));
        HostBlockDiagonal.backward(x, w, dy, dW, dx);
        return dx;
    }

    /** An empty x has no memory to point at and takes the broadcast passes. */
    @Override
    public INDArray causalConv(INDArray x, INDArray w, INDArray b, INDArray history) {
        return x.length() > 0 && HostArrays.usable(x, w, b, history) ? HostCausalConv.forward(x, w, b, history) : null;
    }

    @Override
    public INDArray causalConvBackward(INDArray x, INDArray w, INDArray history, INDArray dy, INDArray dW,
                                       INDArray dB) {
        return x.length() > 0 && HostArrays.usable(x, w, history, dy)
                ? HostCausalConv.backward(x, w, history, dy, dW, dB) : null;
    }

    @Override
    public boolean product(boolean transposeA, boolean transposeB, INDArray a, INDArray b, INDArray out) {
        if (!blasAddresses(a, b, out)) {
            return false;
        }
        int k = (int) (transposeA ? a.size(0) : a.size(1));
        HostGemm.gemm(transposeA, transposeB, (int) out.size(0), (int) out.size(1), k, new HostGemm.Window(a, 0),
                new HostGemm.Window(b, 0), new HostGemm.Window(out, 0));
        return true;
    }

    /** Each half is its own product on a column window of w, so the halves are not copied out of one result. */
    @Override
    public INDArray[] linearHalves(INDArray x, INDArray w) {
        if (!blasAddresses(x, w)) {
            return null;
        }
        long half = w.size(1) / 2;
        INDArray[] halves = new INDArray[2];
        for (int i = 0; i < 2; i++) {
            halves[i] = Nd4j.createUninitialized(x.dataType(), x.size(0), half);
            HostGemm.gemm(false, false, (int) x.size(0), (int) half, (int) x.size(1), new HostGemm.Window(x, 0),
                    new HostGemm.Window(w, i * half), new HostGemm.Window(halves[i], 0));
        }
        return halves;
    }

    @Override
    public INDArray[] concatInputLinear(INDArray[] inputs, INDArray[] weights) {
        return HostBlas.available() && HostConcatInputLinear.applies(inputs)
                ? HostConcatInputLinear.forward(inputs, weights) : null;
    }

    @Override
    public boolean concatInputLinearBackward(INDArray[] inputs, INDArray[] weights, INDArray[] dOutputs,
                                             INDArray[] dWeights, INDArray[] dInputs) {
        if (!HostBlas.available() || !HostConcatInputLinear.applies(inputs) || !HostConcatInputLinear.applies(dInputs)) {
            return false;
        }
        HostConcatInputLinear.backward(inputs, weights, dOutputs, dWeights, dInputs);
        return true;
    }

    @Override
    public INDArray toHeads(INDArray rows, long batch, long steps, long heads, long headSize) {
        return HostHeadLayout.applies(rows) ? HostHeadLayout.toHeads(rows, batch, steps, heads, headSize) : null;
    }

    @Override
    public INDArray fromHeads(INDArray heads) {
        return HostHeadLayout.applies(heads) ? HostHeadLayout.fromHeads(heads) : null;
    }

    /** Non-empty float32 or float64 arrays of one type, each addressable by a BLAS call in place. */
    private static boolean blasAddresses(INDArray... arrays) {
        if (!HostBlas.available()) {
            return false;
        }
        for (INDArray a : arrays) {
            if (a.size(0) == 0 || !HostBlas.addressable(a) || a.dataType() != arrays[0].dataType()) {
                return false;
            }
        }
        return true;
    }
}
