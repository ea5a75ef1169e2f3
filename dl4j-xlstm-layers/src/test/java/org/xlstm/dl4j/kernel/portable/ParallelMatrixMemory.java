package org.xlstm.dl4j.kernel.portable;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The O(T^2) parallel form of the mLSTM cell from a zero state, as in the reference implementation's
 * parallel form: a test oracle for the chunkwise and recurrent forms. No mask, no state in or out.
 *
 * <p>Its stabilizer is m_t = max_s log D_ts, which lacks the zero initial state's term, so it agrees with
 * the recurrent and chunkwise forms only up to the normalizer floor exp(-m) (~1e-7 in float64).
 */
public final class ParallelMatrixMemory {
    private ParallelMatrixMemory() {
    }

    /**
     * h for queries, keys and values q, k, v [B, NH, T, DH] (keys unscaled) and input- and forget-gate
     * pre-activations igate, fgate [B, NH, T], in the type of q.
     */
    public static INDArray forward(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate) {
        MatrixMemoryArguments.checkSequence(q, k, v, igate, fgate, null, null);
        DataType inputType = q.dataType();
        DataType type = ComputeTypes.computeTypeFor(inputType);
        long batch = q.size(0);
        long heads = q.size(1);
        int len = (int) q.size(2);
        long dh = q.size(3);
        long rows = batch * heads;

        INDArray qt = q.castTo(type).reshape(rows, len, dh);
        INDArray kt = k.castTo(type).reshape(rows, len, dh).div(Math.sqrt(dh));
        INDArray vt = v.castTo(type).reshape(rows, len, dh);
        INDArray decay = GateLogs.cumulativeSum(GateLogs.logSigmoid(fgate.castTo(type).reshape(rows, len)), false);
        INDArray source = igate.castTo(type).reshape(rows, len).sub(decay);
        INDArray logD = decay.reshape(rows, len, 1).add(source.reshape(rows, 1, len))
                .addi(GateLogs.causalLogMask(type, len).reshape(1, len, len));
        INDArray m = logD.max(2);
        INDArray scores = BatchedProducts.matmul(qt, kt, false, true)
                .muli(Transforms.exp(logD.subi(m.reshape(rows, len, 1)), false));
        INDArray den = scores.sum(2);
        INDArray h = BatchedProducts.matmul(scores, vt)
                .divi(ChunkwiseMatrixMemoryForward.normalizer(den, m).reshape(rows, len, 1));
        return h.reshape(batch, heads, len, dh).castTo(inputType);
    }
}
