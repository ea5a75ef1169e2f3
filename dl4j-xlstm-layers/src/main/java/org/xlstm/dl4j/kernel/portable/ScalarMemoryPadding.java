package org.xlstm.dl4j.kernel.portable;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A [B, T] mask read once to the host, so that the time loops pay for masking only at steps where some
 * row is actually padded.
 */
final class ScalarMemoryPadding {
    /** [B, T] with values 0 or 1 in the compute type. */
    final INDArray mask;
    private final boolean[] padded;
    private final int[] firstReal;

    private ScalarMemoryPadding(INDArray mask, boolean[] padded, int[] firstReal) {
        this.mask = mask;
        this.padded = padded;
        this.firstReal = firstReal;
    }

    /** Null when the mask is absent or all ones: the unmasked path is then exact and cheaper. */
    static ScalarMemoryPadding of(INDArray mask, DataType computeType) {
        if (mask == null) {
            return null;
        }
        INDArray binary = mask.neq(0).castTo(computeType);
        double[][] host = binary.castTo(DataType.DOUBLE).toDoubleMatrix();
        int batch = host.length;
        int time = batch == 0 ? 0 : host[0].length;
        boolean[] padded = new boolean[time];
        int[] firstReal = new int[batch];
        boolean any = false;
        for (int b = 0; b < batch; b++) {
            firstReal[b] = time;
            for (int t = 0; t < time; t++) {
                if (host[b][t] == 0) {
                    padded[t] = true;
                    any = true;
                } else if (firstReal[b] == time) {
                    firstReal[b] = t;
                }
            }
        }
        return any ? new ScalarMemoryPadding(binary, padded, firstReal) : null;
    }

    boolean isPadded(int t) {
        return padded[t];
    }

    /** The first unpadded step of row b, or T when the row is padding throughout. */
    int firstReal(int b) {
        return firstReal[b];
    }

    /** Mask of step t as [1, 1, B, 1], ready to broadcast over a [slots, NH, B, DH] slab. */
    INDArray stepColumn(int t) {
        return mask.getColumn(t).reshape(1, 1, mask.size(0), 1);
    }
}
