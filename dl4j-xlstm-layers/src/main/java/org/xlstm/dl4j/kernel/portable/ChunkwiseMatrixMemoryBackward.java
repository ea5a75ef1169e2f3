package org.xlstm.dl4j.kernel.portable;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryState;

/**
 * Backward of {@link ChunkwiseMatrixMemoryForward}. Every stabilizer m is held constant: the forward
 * value does not depend on the choice of m except through the floor exp(-m) and the additive epsilon,
 * so this is the exact gradient wherever the floor is inactive, up to a relative eps/|den|.
 *
 * <p>All in-chunk terms for all chunks are batched; the gradient flowing into each chunk's starting
 * state is accumulated by one reverse scan over chunks, after which the chunk-end terms are batched too.
 */
public final class ChunkwiseMatrixMemoryBackward {
    private ChunkwiseMatrixMemoryBackward() {
    }

    /**
     * @param dFinal dL/dC and dL/dn of the final state (its m is not read), or null where the loss does not
     *               depend on it: the gradient reaching the last chunk's end state
     */
    public static MatrixMemoryGradients run(ChunkwiseResiduals r, INDArray upstream, MatrixMemoryState dFinal) {
        ChunkedSequence seq = r.sequence;
        MatrixMemoryArguments.checkUpstream(upstream, new long[] {seq.batch, seq.heads, seq.length, seq.headSize});
        MatrixMemoryArguments.checkFinalStateGradient(dFinal, seq.batch, seq.heads, seq.headSize);
        DataType type = seq.computeType;
        long n = seq.chunkRows();
        int len = seq.chunk;
        long dh = seq.headSize;

        INDArray dH = seq.upstreamToChunks(upstream);
        INDArray floor = Transforms.exp(r.stabilizer.neg(), false);
        INDArray normalizer = ChunkwiseMatrixMemoryForward.normalizer(r.denominator, r.stabilizer);
        INDArray dNum = dH.div(normalizer.reshape(n, len, 1));
        // Where the floor wins, the normalizer is a constant of the step and den receives nothing.
        INDArray floorInactive = Transforms.abs(r.denominator, true).gt(floor).castTo(type);
        INDArray dDen = dH.mul(r.h).sum(2).negi().divi(normalizer)
                .muli(Transforms.sign(r.denominator, true)).muli(floorInactive);

        INDArray decayWeights = Transforms.exp(seq.logDecayMatrix().subi(r.stabilizer.reshape(n, len, 1)), false);
        INDArray scores = BatchedProducts.matmul(seq.q, seq.kScaled, false, true).muli(decayWeights);
        INDArray dScores = BatchedProducts.matmul(dNum, seq.v, false, true).addi(dDen.reshape(n, len, 1));
        INDArray dV = BatchedProducts.matmul(scores, dNum, true, false);
        INDArray dLogD = dScores.mul(scores);
        INDArray dProducts = dScores.muli(decayWeights);

        INDArray w = r.stateWeight;
        INDArray wColumn = w.reshape(n, len, 1);
        INDArray dQ = BatchedProducts.matmul(dProducts, seq.kScaled).addi(
                BatchedProducts.matmul(dNum, r.chunkC, false, true)
                        .addi(dDen.reshape(n, len, 1).mul(r.chunkN.reshape(n, 1, dh)))
                        .muli(wColumn));
        INDArray dK = BatchedProducts.matmul(dProducts, seq.q, true, false);

        INDArray stateRead = BatchedProducts.matmul(seq.q, r.chunkC);
        INDArray normRead = BatchedProducts.matmul(seq.q, r.chunkN.reshape(n, dh, 1)).reshape(n, len);
        INDArray dLogW = dNum.mul(stateRead).sum(2).addi(dDen.mul(normRead)).muli(w);
        INDArray dB = dLogW.addi(dLogD.sum(2));
        INDArray dA = dLogD.sum(1);

        // Gradient reaching each chunk's starting state from that chunk's own outputs.
        INDArray readC = BatchedProducts.matmul(seq.q.mul(wColumn), dNum, true, false);
        INDArray readN = seq.q.mul(w.mul(dDen).reshape(n, len, 1)).sum(1);
        INDArray carry = Transforms.exp(seq.chunkDecay.add(r.chunkM).subi(r.endM), false);

        long rows = seq.rows;
        long chunks = seq.chunks;
        INDArray dEndC = Nd4j.createUninitialized(type, rows, chunks, dh, dh);
        INDArray dEndN = Nd4j.createUninitialized(type, rows, chunks, dh);
        INDArray readCs = readC.reshape(rows, chunks, dh, dh);
        INDArray readNs = readN.reshape(rows, chunks, dh);
        INDArray carries = carry.reshape(rows, chunks);
        // The final state is the last chunk's end state (padded steps leave the state as it is).
        INDArray dC = dFinal == null ? Nd4j.zeros(type, rows, dh, dh) : dFinal.c.castTo(type).reshape(rows, dh, dh).dup('c');
        INDArray dN = dFinal == null ? Nd4j.zeros(type, rows, dh) : dFinal.n.castTo(type).reshape(rows, dh).dup('c');
        for (long ci = chunks - 1; ci >= 0; ci--) {
            dEndC.get(all(), point(ci), all(), all()).assign(dC);
            dEndN.get(all(), point(ci), all()).assign(dN);
            INDArray u = carries.get(all(), point(ci)).dup();
            dC = dC.muli(u.reshape(rows, 1, 1)).addi(readCs.get(all(), point(ci), all(), all()));
            dN = dN.muli(u.reshape(rows, 1)).addi(readNs.get(all(), point(ci), all()));
        }

        // Chunk-end state C_L = u C0 + sum_s e_s k'_s v_s^T (and n_L alike) against the incoming dC_L, dn_L.
        INDArray dCL = dEndC.reshape(n, dh, dh);
        INDArray dNL = dEndN.reshape(n, dh);
        INDArray endWeight = Transforms.exp(seq.endLogWeight.sub(r.endM.reshape(n, 1)), false);
        INDArray endColumn = endWeight.reshape(n, len, 1);
        INDArray dCarryLog = carry.mul(dCL.mul(r.chunkC).sum(1, 2).addi(dNL.mul(r.chunkN).sum(1)));
        INDArray dKEnd = BatchedProducts.matmul(seq.v, dCL, false, true).addi(dNL.reshape(n, 1, dh)).muli(endColumn);
        dK.addi(dKEnd);
        dV.addi(BatchedProducts.matmul(seq.kScaled, dCL).muli(endColumn));
        INDArray dLogE = seq.kScaled.mul(dKEnd).sum(2);
        dB.get(all(), point(len - 1)).addi(dCarryLog.addi(dLogE.sum(1)));
        dA.addi(dLogE);

        // a_s = i_s - b_s and b_j = sum_{r<=j} logF_r.
        dB.subi(dA);
        INDArray dLogF = GateLogs.cumulativeSum(dB, true);
        INDArray dF = dLogF.muli(seq.forgetSlope);
        dK.divi(Math.sqrt(dh));

        MatrixMemoryState dInitial = null;
        if (r.hasInitialState) {
            INDArray c0 = r.chunkC.reshape(rows, chunks, dh, dh).get(all(), point(0), all(), all());
            INDArray n0 = r.chunkN.reshape(rows, chunks, dh).get(all(), point(0), all());
            // The initial m scales the true state C0 exp(m0), n0 exp(m0).
            INDArray dM = dC.mul(c0).sum(1, 2).addi(dN.mul(n0).sum(1));
            dInitial = new MatrixMemoryState(
                    dC.reshape(seq.batch, seq.heads, dh, dh).castTo(seq.inputType),
                    dN.reshape(seq.batch, seq.heads, dh).castTo(seq.inputType),
                    dM.reshape(seq.batch, seq.heads).castTo(seq.inputType));
        }
        return new MatrixMemoryGradients(
                seq.sequenceFromChunks(dQ, false),
                seq.sequenceFromChunks(dK, false),
                seq.sequenceFromChunks(dV, false),
                seq.gateFromChunks(dA),
                seq.gateFromChunks(dF),
                dInitial);
    }
}
