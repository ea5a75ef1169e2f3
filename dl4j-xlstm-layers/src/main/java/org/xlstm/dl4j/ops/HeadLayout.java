package org.xlstm.dl4j.ops;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.kernel.KernelRegistry;

/**
 * Between the token-major rows of the projections, [B*T, NH*DH], and the head-major layout of the
 * matrix-memory kernels, [B, NH, T, DH]: ND4J's permuted copy, or the active backend's {@link FusedOps}.
 */
public final class HeadLayout {

    private HeadLayout() {
    }

    /** [B*T, NH*DH] to a new c-order [B, NH, T, DH]. */
    public static INDArray toHeads(INDArray rows, long batch, long steps, long heads, long headSize) {
        INDArray fused = KernelRegistry.fusedOps().toHeads(rows, batch, steps, heads, headSize);
        if (fused != null) {
            return fused;
        }
        return rows.reshape(batch, steps, heads, headSize).permute(0, 2, 1, 3).dup('c');
    }

    /** [B, NH, T, DH] in any layout to a new c-order [B*T, NH*DH]. */
    public static INDArray fromHeads(INDArray heads) {
        INDArray fused = KernelRegistry.fusedOps().fromHeads(heads);
        if (fused != null) {
            return fused;
        }
        return heads.permute(0, 2, 1, 3).dup('c').reshape(heads.size(0) * heads.size(2), heads.size(1) * heads.size(3));
    }
}
