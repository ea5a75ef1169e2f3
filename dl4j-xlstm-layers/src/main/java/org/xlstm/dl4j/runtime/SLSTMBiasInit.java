package org.xlstm.dl4j.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The official sLSTM gate-bias initialisations. Only the forget gate gets non-zero values except for
 * STANDARD; values are written into the head-major [NH, 4 (i, f, z, o), DH] bias.
 */
public enum SLSTMBiasInit {
    /** Forget bias -(-5 + 12 (j / (DH - 1))^(0.3 + 1.3 r)), r = blockIndex / (numBlocks - 1): deeper blocks remember longer. */
    POWERLAW_BLOCKDEPENDENT,
    /** Forget bias evenly spaced from 3 to 6 over each head's units. */
    SMALL_INIT,
    ZEROS,
    /** Uniform in +-1/sqrt(hidden) for every gate. */
    STANDARD;

    static final int FORGET_GATE = 1;

    /** The official config string ("powerlaw_blockdependent", "small_init", "zeros", "standard"). */
    public static SLSTMBiasInit fromOfficialName(String name) {
        for (SLSTMBiasInit v : values()) {
            if (v.name().equalsIgnoreCase(name)) {
                return v;
            }
        }
        throw new IllegalArgumentException("sLSTM bias_init must be one of powerlaw_blockdependent, small_init, zeros,"
                + " standard but was '" + name + "'");
    }

    void initialize(INDArray view, int heads, long headSize, int blockIndex, int numBlocks) {
        INDArray bias = Nd4j.zeros(view.dataType(), heads, 4, headSize);
        if (this == STANDARD) {
            double bound = 1.0 / Math.sqrt(heads * headSize);
            bias = Nd4j.rand(view.dataType(), heads, 4, headSize).muli(2 * bound).subi(bound);
        } else if (this != ZEROS) {
            double ratio = numBlocks > 1 ? (double) blockIndex / (numBlocks - 1) : 0.0;
            for (int h = 0; h < heads; h++) {
                for (long j = 0; j < headSize; j++) {
                    double position = headSize > 1 ? (double) j / (headSize - 1) : 0.0;
                    double value = this == POWERLAW_BLOCKDEPENDENT
                            ? -(-5.0 + 12.0 * Math.pow(position, 0.3 + 1.3 * ratio))
                            : 3.0 + 3.0 * position;
                    bias.putScalar(new long[] {h, FORGET_GATE, j}, value);
                }
            }
        }
        view.assign(bias.reshape(view.shape()));
    }
}
