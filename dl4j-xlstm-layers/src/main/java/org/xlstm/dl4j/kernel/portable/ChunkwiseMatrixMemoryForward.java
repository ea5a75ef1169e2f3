package org.xlstm.dl4j.kernel.portable;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryState;

/**
 * Chunkwise mLSTM forward. Within a chunk the parallel form plus the carried state's contribution, all
 * chunks of all heads at once as batched products; across chunks a scan that carries (C, n, m).
 *
 * <p>The stabilizer of step j is m_j = max(b_j + m0, max_s log D_js), the same value the recurrent step
 * computes, so chunk size changes only rounding.
 */
public final class ChunkwiseMatrixMemoryForward {
    /**
     * Stands in for the log weight of a chunk with no real step (-inf): its contribution, scaled by
     * exp(floor - m), vanishes, and -inf - (-inf) is never formed.
     */
    public static final double LOG_FLOOR = -1e30;

    private ChunkwiseMatrixMemoryForward() {
    }

    /** Without {@code keepResiduals} the result has no residuals and cannot be passed to the backward. */
    static MatrixMemoryForward run(INDArray q, INDArray k, INDArray v, INDArray igate, INDArray fgate,
                                   INDArray mask, MatrixMemoryState initial, int chunkSize,
                                   boolean keepResiduals) {
        return run(new ChunkedSequence(q, k, v, igate, fgate, mask, chunkSize), initial, keepResiduals);
    }

    /** The forward of a sequence already cut into chunks. */
    public static MatrixMemoryForward run(ChunkedSequence seq, MatrixMemoryState initial, boolean keepResiduals) {
        DataType type = seq.computeType;
        long n = seq.chunkRows();
        int len = seq.chunk;
        long dh = seq.headSize;

        // Each chunk's own contribution to its end state, stabilised locally; the scan rescales it.
        INDArray localMax = Transforms.max(seq.endLogWeight.max(1), LOG_FLOOR, false);
        INDArray localWeight = Transforms.exp(seq.endLogWeight.sub(localMax.reshape(n, 1)), false);
        INDArray weightedKeys = seq.kScaled.mul(localWeight.reshape(n, len, 1));
        INDArray localC = BatchedProducts.matmul(weightedKeys, seq.v, true, false);
        INDArray localN = weightedKeys.sum(1);

        long rows = seq.rows;
        long chunks = seq.chunks;
        INDArray chunkC = Nd4j.createUninitialized(type, rows, chunks, dh, dh);
        INDArray chunkN = Nd4j.createUninitialized(type, rows, chunks, dh);
        INDArray chunkM = Nd4j.createUninitialized(type, rows, chunks);
        INDArray endM = Nd4j.createUninitialized(type, rows, chunks);
        INDArray decay = seq.chunkDecay.reshape(rows, chunks);
        INDArray localMaxes = localMax.reshape(rows, chunks);
        INDArray localCs = localC.reshape(rows, chunks, dh, dh);
        INDArray localNs = localN.reshape(rows, chunks, dh);

        INDArray c;
        INDArray nrm;
        INDArray m;
        if (initial == null) {
            c = Nd4j.zeros(type, rows, dh, dh);
            nrm = Nd4j.zeros(type, rows, dh);
            m = Nd4j.zeros(type, rows);
        } else {
            c = initial.c.castTo(type).reshape(rows, dh, dh).dup();
            nrm = initial.n.castTo(type).reshape(rows, dh).dup();
            m = initial.m.castTo(type).reshape(rows).dup();
        }
        for (long ci = 0; ci < chunks; ci++) {
            chunkC.get(all(), point(ci), all(), all()).assign(c);
            chunkN.get(all(), point(ci), all()).assign(nrm);
            chunkM.get(all(), point(ci)).assign(m);
            INDArray decayed = decay.get(all(), point(ci)).add(m);
            INDArray local = localMaxes.get(all(), point(ci));
            INDArray next = Transforms.max(decayed, local, true);
            INDArray carry = Transforms.exp(decayed.subi(next), false);
            INDArray fresh = Transforms.exp(local.sub(next), false);
            c = c.muli(carry.reshape(rows, 1, 1))
                    .addi(localCs.get(all(), point(ci), all(), all()).mul(fresh.reshape(rows, 1, 1)));
            nrm = nrm.muli(carry.reshape(rows, 1)).addi(localNs.get(all(), point(ci), all()).mul(fresh.reshape(rows, 1)));
            m = next;
            endM.get(all(), point(ci)).assign(m);
        }

        INDArray c0 = chunkC.reshape(n, dh, dh);
        INDArray n0 = chunkN.reshape(n, dh);
        INDArray m0 = chunkM.reshape(n);
        INDArray stateLog = seq.logDecay.add(m0.reshape(n, 1));
        INDArray logD = seq.logDecayMatrix();
        INDArray stabilizer = Transforms.max(stateLog, logD.max(2), true);
        INDArray decayWeights = Transforms.exp(logD.subi(stabilizer.reshape(n, len, 1)), false);
        INDArray scores = BatchedProducts.matmul(seq.q, seq.kScaled, false, true).muli(decayWeights);
        INDArray stateWeight = Transforms.exp(stateLog.subi(stabilizer), false);

        INDArray numerator = BatchedProducts.matmul(scores, seq.v)
                .addi(BatchedProducts.matmul(seq.q, c0).muli(stateWeight.reshape(n, len, 1)));
        INDArray denominator = scores.sum(2)
                .addi(BatchedProducts.matmul(seq.q, n0.reshape(n, dh, 1)).reshape(n, len).muli(stateWeight));
        INDArray h = numerator.divi(normalizer(denominator, stabilizer).reshape(n, len, 1));

        MatrixMemoryState finalState = new MatrixMemoryState(
                c.reshape(seq.batch, seq.heads, dh, dh).castTo(seq.inputType),
                nrm.reshape(seq.batch, seq.heads, dh).castTo(seq.inputType),
                m.reshape(seq.batch, seq.heads).castTo(seq.inputType));
        ChunkwiseResiduals residuals = keepResiduals ? new ChunkwiseResiduals(seq, stabilizer, stateWeight,
                denominator, h, c0, n0, m0, endM.reshape(n), initial != null) : null;
        return new MatrixMemoryForward(seq.sequenceFromChunks(h, true), finalState, residuals);
    }

    /** max(|den|, exp(-m)) + eps: the floor keeps h bounded where the memory holds almost nothing. */
    static INDArray normalizer(INDArray denominator, INDArray stabilizer) {
        return Transforms.max(Transforms.abs(denominator, true), Transforms.exp(stabilizer.neg(), false), false)
                .addi(GateLogs.EPS);
    }
}
