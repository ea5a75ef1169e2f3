package org.xlstm.dl4j.runtime;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The rule for masked time steps, shared by the modules that do not get it from their cell: a masked step's
 * output is zero (as in DL4J's recurrent layers), so its gradient arriving from above is dropped as well.
 */
final class MaskedSteps {

    private MaskedSteps() {
    }

    /** {@code btf} [B, T, F] with the steps where {@code mask} [B, T] is 0 set to zero; null mask: unchanged. */
    static INDArray zero(INDArray btf, INDArray mask) {
        if (mask == null) {
            return btf;
        }
        INDArray rows = btf.dup('c').reshape(btf.size(0) * btf.size(1), btf.size(2));
        return rows.muliColumnVector(mask.reshape(rows.size(0), 1).castTo(btf.dataType())).reshape(btf.shape());
    }

    /** The same on a SameDiff graph: {@code y} [B, T, F], {@code mask} [B, T] or null. */
    static SDVariable zero(SameDiff sd, SDVariable y, SDVariable mask) {
        return mask == null ? y : y.mul(sd.expandDims(mask, 2));
    }
}
