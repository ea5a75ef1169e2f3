package org.xlstm.dl4j.kernel;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Recurrent state of the sLSTM scalar memory for a minibatch: hidden h, cell c, normalizer n and
 * stabilizer m, each [B, NH*DH] (head-major: unit j of head g at g*DH + j).
 */
public final class ScalarMemoryState {
    public final INDArray h;
    public final INDArray c;
    public final INDArray n;
    public final INDArray m;

    public ScalarMemoryState(INDArray h, INDArray c, INDArray n, INDArray m) {
        this.h = h;
        this.c = c;
        this.n = n;
        this.m = m;
    }

    public static ScalarMemoryState zeros(DataType type, long batch, long units) {
        return new ScalarMemoryState(Nd4j.zeros(type, batch, units), Nd4j.zeros(type, batch, units),
                Nd4j.zeros(type, batch, units), Nd4j.zeros(type, batch, units));
    }

    /** A copy outside any workspace, safe to keep across calls. */
    public ScalarMemoryState detachedCopy() {
        return new ScalarMemoryState(h.detach().dup(), c.detach().dup(), n.detach().dup(), m.detach().dup());
    }

    public ScalarMemoryState castTo(DataType type) {
        return new ScalarMemoryState(h.castTo(type), c.castTo(type), n.castTo(type), m.castTo(type));
    }
}
