package org.xlstm.dl4j.kernel.portable;

import static org.xlstm.dl4j.kernel.portable.HostKernelSupport.copy;
import static org.xlstm.dl4j.kernel.portable.HostKernelSupport.dot;
import static org.xlstm.dl4j.kernel.portable.HostKernelSupport.forEachRecurrence;
import static org.xlstm.dl4j.kernel.portable.HostKernelSupport.gemm;
import static org.xlstm.dl4j.kernel.portable.HostKernelSupport.readAll;
import static org.xlstm.dl4j.ops.HostArrays.at;
import static org.xlstm.dl4j.ops.HostArrays.pointer;
import static org.xlstm.dl4j.ops.HostArrays.read;
import static org.xlstm.dl4j.ops.HostArrays.write;

import java.util.Arrays;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.ops.HostArrays;

/**
 * {@link ChunkwiseMatrixMemoryBackward} on ND4J's CPU backend in float32, one recurrence at a time: the
 * reverse scan over its chunks carries dC and dn in cache, and each chunk's in-chunk terms are computed as it
 * is reached (single-threaded OpenBLAS products on the arrays in place, Java loops for the L x L weights and
 * the gate sums) instead of as batched [N, L, L] and [N, DH, DH] intermediates. Same gradients, same
 * conventions (stabilizers held constant).
 */
final class HostChunkwiseBackward {
    private HostChunkwiseBackward() {
    }

    /** Only call where {@link org.xlstm.dl4j.ops.HostBlas#available()} holds: this class calls OpenBLAS. */
    static boolean applies(ChunkwiseResiduals r) {
        ChunkedSequence seq = r.sequence;
        return HostChunkwiseForward.applies(seq) && HostArrays.usable(r.stabilizer, r.stateWeight,
                r.denominator, r.h, r.chunkC, r.chunkN, r.chunkM, r.endM, seq.forgetSlope);
    }

    static MatrixMemoryGradients run(ChunkwiseResiduals r, INDArray upstream) {
        ChunkedSequence seq = r.sequence;
        int len = seq.chunk;
        int dh = (int) seq.headSize;
        int rows = (int) seq.rows;
        int chunks = (int) seq.chunks;
        long n = seq.chunkRows();
        INDArray dH = seq.upstreamToChunks(upstream);
        Inputs in = new Inputs(r, HostArrays.usable(dH) ? dH : dH.dup('c'));
        INDArray dQ = Nd4j.createUninitialized(DataType.FLOAT, n, len, dh);
        INDArray dK = Nd4j.createUninitialized(DataType.FLOAT, n, len, dh);
        INDArray dV = Nd4j.createUninitialized(DataType.FLOAT, n, len, dh);
        float[] dA = new float[(int) (n * len)];
        float[] dF = new float[dA.length];
        INDArray dInitialC = r.hasInitialState ? Nd4j.createUninitialized(DataType.FLOAT, rows, dh, dh) : null;
        float[] dInitialN = new float[rows * dh];
        float[] dInitialM = new float[rows];

        forEachRecurrence(rows, (from, to) -> {
            try (Chunk c = new Chunk(in, len, dh, pointer(dQ, "dQ"), pointer(dK, "dK"), pointer(dV, "dV"), dA, dF)) {
                for (int row = from; row < to; row++) {
                    c.startRecurrence();
                    for (int ci = chunks - 1; ci >= 0; ci--) {
                        c.run(row * chunks + ci);
                    }
                    if (dInitialC != null) {
                        int first = row * chunks;
                        copy(c.dC, at(pointer(dInitialC, "dInitial C"), (long) row * dh * dh), (long) dh * dh);
                        System.arraycopy(c.dN, 0, dInitialN, row * dh, dh);
                        // The initial m scales the true state C0 exp(m0), n0 exp(m0).
                        dInitialM[row] = c.stateDot(first);
                    }
                }
            }
        });

        MatrixMemoryState dInitial = null;
        if (dInitialC != null) {
            dInitial = new MatrixMemoryState(
                    dInitialC.reshape(seq.batch, seq.heads, dh, dh).castTo(seq.inputType),
                    Nd4j.createFromArray(dInitialN).reshape(seq.batch, seq.heads, dh).castTo(seq.inputType),
                    Nd4j.createFromArray(dInitialM).reshape(seq.batch, seq.heads).castTo(seq.inputType));
        }
        return new MatrixMemoryGradients(
                seq.sequenceFromChunks(dQ, false),
                seq.sequenceFromChunks(dK, false),
                seq.sequenceFromChunks(dV, false),
                seq.gateFromChunks(Nd4j.createFromArray(dA).reshape(n, len)),
                seq.gateFromChunks(Nd4j.createFromArray(dF).reshape(n, len)),
                dInitial);
    }

    /** The forward's residuals and the upstream gradient, as pointers and per-step values. */
    private static final class Inputs {
        final FloatPointer q;
        final FloatPointer k;
        final FloatPointer v;
        final FloatPointer h;
        final FloatPointer dH;
        final FloatPointer chunkC;
        final FloatPointer chunkN;
        final float[] stabilizer;
        final float[] stateWeight;
        final float[] denominator;
        final float[] logDecay;
        final float[] logSource;
        final float[] endLogWeight;
        final float[] forgetSlope;
        final float[] chunkDecay;
        final float[] chunkM;
        final float[] endM;

        Inputs(ChunkwiseResiduals r, INDArray dH) {
            ChunkedSequence seq = r.sequence;
            q = pointer(seq.q, "q");
            k = pointer(seq.kScaled, "k");
            v = pointer(seq.v, "v");
            h = pointer(r.h, "h");
            this.dH = pointer(dH, "dh");
            chunkC = pointer(r.chunkC, "chunkC");
            chunkN = pointer(r.chunkN, "chunkN");
            stabilizer = readAll(r.stabilizer, "stabilizer");
            stateWeight = readAll(r.stateWeight, "stateWeight");
            denominator = readAll(r.denominator, "denominator");
            logDecay = readAll(seq.logDecay, "logDecay");
            logSource = readAll(seq.logSource, "logSource");
            endLogWeight = readAll(seq.endLogWeight, "endLogWeight");
            forgetSlope = readAll(seq.forgetSlope, "forgetSlope");
            chunkDecay = readAll(seq.chunkDecay, "chunkDecay");
            chunkM = readAll(r.chunkM, "chunkM");
            endM = readAll(r.endM, "endM");
        }
    }

    /**
     * One chunk's backward, with the gradient reaching the state that enters it (dC, dn) carried from the
     * chunk after it. Holds one thread's working memory: native where OpenBLAS reads or writes, heap for the
     * Java loops.
     */
    private static final class Chunk implements AutoCloseable {
        private final Inputs in;
        private final int len;
        private final int dh;
        private final float keyScale;
        private final FloatPointer dQ;
        private final FloatPointer dK;
        private final FloatPointer dV;
        private final float[] dA;
        private final float[] dF;
        /** dL/dC and dL/dn of the state leaving the current chunk (entering it, once run). */
        final FloatPointer dC;
        final float[] dN;

        private final FloatPointer squareA;
        private final FloatPointer squareB;
        private final FloatPointer wideA;
        private final FloatPointer wideB;
        private final float[] scores;
        private final float[] dScores;
        private final float[] dNum;
        private final float[] wide;
        private final float[] wide2;
        private final float[] chunkN;
        private final float[] dDen;
        private final float[] endWeight;
        private final float[] dLogE;
        private final float[] dLogW;
        /** Row and column sums of dL/d log D_js = dScores_js * scores_js. */
        private final float[] dLogDRows;
        private final float[] dLogDColumns;
        private final float[] dB;

        Chunk(Inputs in, int len, int dh, FloatPointer dQ, FloatPointer dK, FloatPointer dV, float[] dA, float[] dF) {
            this.in = in;
            this.len = len;
            this.dh = dh;
            this.keyScale = (float) (1.0 / Math.sqrt(dh));
            this.dQ = dQ;
            this.dK = dK;
            this.dV = dV;
            this.dA = dA;
            this.dF = dF;
            dC = new FloatPointer((long) dh * dh);
            dN = new float[dh];
            squareA = new FloatPointer((long) len * len);
            squareB = new FloatPointer((long) len * len);
            wideA = new FloatPointer((long) len * dh);
            wideB = new FloatPointer((long) len * dh);
            scores = new float[len * len];
            dScores = new float[len * len];
            dNum = new float[len * dh];
            wide = new float[len * dh];
            wide2 = new float[len * dh];
            chunkN = new float[dh];
            dDen = new float[len];
            endWeight = new float[len];
            dLogE = new float[len];
            dLogW = new float[len];
            dLogDRows = new float[len];
            dLogDColumns = new float[len];
            dB = new float[len];
        }

        void startRecurrence() {
            dC.zero();
            Arrays.fill(dN, 0f);
        }

        /** sum(dC * C0) + sum(dn * n0) with the state entering chunk cr: the gradient of its log scale. */
        float stateDot(int cr) {
            read(in.chunkN, (long) cr * dh, chunkN, 0, dh);
            float sum = dot(dC, at(in.chunkC, (long) cr * dh * dh), (long) dh * dh);
            for (int e = 0; e < dh; e++) {
                sum += dN[e] * chunkN[e];
            }
            return sum;
        }

        /** Gradients of chunk cr; then dC, dn become those of the state entering it. */
        void run(int cr) {
            long wideOffset = (long) cr * len * dh;
            int steps = cr * len;
            FloatPointer qc = at(in.q, wideOffset);
            FloatPointer kc = at(in.k, wideOffset);
            FloatPointer vc = at(in.v, wideOffset);
            FloatPointer c0 = at(in.chunkC, (long) cr * dh * dh);
            read(in.chunkN, (long) cr * dh, chunkN, 0, dh);

            upstreamTerms(wideOffset, steps);
            intraChunkWeights(qc, kc, vc, steps);

            // dV = scores^T dNum + diag(e) k' dC_L, with e the end weights of the steps
            write(scores, 0, len * len, squareA, 0);
            FloatPointer dVc = at(dV, wideOffset);
            gemm(true, false, len, dh, len, squareA, wideA, 0f, dVc);
            read(kc, 0, wide, 0, len * dh);
            for (int s = 0; s < len; s++) {
                endWeight[s] = (float) Math.exp(in.endLogWeight[steps + s] - in.endM[cr]);
                for (int e = 0; e < dh; e++) {
                    wide[s * dh + e] *= endWeight[s];
                }
            }
            write(wide, 0, len * dh, wideB, 0);
            gemm(false, false, len, dh, dh, wideB, dC, 1f, dVc);

            // dK = dProducts^T q + diag(e) (v dC_L^T + 1 dn_L^T), and dLogE_s = k'_s . dKEnd_s
            FloatPointer dKc = at(dK, wideOffset);
            write(dScores, 0, len * len, squareB, 0);
            gemm(true, false, len, dh, len, squareB, qc, 0f, dKc);
            gemm(false, true, len, dh, dh, vc, dC, 0f, wideB);
            read(wideB, 0, wide, 0, len * dh);
            read(kc, 0, wide2, 0, len * dh);
            float endLogSum = 0;
            for (int s = 0; s < len; s++) {
                float logE = 0;
                for (int e = 0; e < dh; e++) {
                    float g = (wide[s * dh + e] + dN[e]) * endWeight[s];
                    wide[s * dh + e] = g;
                    logE += wide2[s * dh + e] * g;
                }
                dLogE[s] = logE;
                endLogSum += logE;
            }
            read(dKc, 0, wide2, 0, len * dh);
            for (int i = 0; i < len * dh; i++) {
                wide2[i] = (wide2[i] + wide[i]) * keyScale;
            }
            write(wide2, 0, len * dh, dKc, 0);

            // dQ = dProducts k' + w_j (dNum_j C0^T + dDen_j n0); dLogW_j = w_j (dNum_j . q_j C0 + dDen_j q_j . n0)
            FloatPointer dQc = at(dQ, wideOffset);
            gemm(false, false, len, dh, len, squareB, kc, 0f, dQc);
            gemm(false, false, len, dh, dh, qc, c0, 0f, wideB);
            read(wideB, 0, wide, 0, len * dh);
            read(qc, 0, wide2, 0, len * dh);
            for (int j = 0; j < len; j++) {
                float w = in.stateWeight[steps + j];
                float stateRead = 0;
                float normRead = 0;
                for (int e = 0; e < dh; e++) {
                    stateRead += dNum[j * dh + e] * wide[j * dh + e];
                    normRead += wide2[j * dh + e] * chunkN[e];
                }
                dLogW[j] = w * (stateRead + dDen[j] * normRead);
                for (int e = 0; e < dh; e++) {
                    wide[j * dh + e] = dNum[j * dh + e] * w;
                }
            }
            write(wide, 0, len * dh, wideB, 0);
            gemm(false, true, len, dh, dh, wideB, c0, 1f, dQc);
            read(dQc, 0, wide, 0, len * dh);
            for (int j = 0; j < len; j++) {
                float scale = in.stateWeight[steps + j] * dDen[j];
                for (int e = 0; e < dh; e++) {
                    wide[j * dh + e] += scale * chunkN[e];
                }
            }
            write(wide, 0, len * dh, dQc, 0);

            // Gate gradients: b_j (in-chunk log decay) and a_s = i_s - b_s.
            float carry = (float) Math.exp(in.chunkDecay[cr] + in.chunkM[cr] - in.endM[cr]);
            float dCarryLog = carry * stateDot(cr);
            for (int j = 0; j < len; j++) {
                dB[j] = dLogW[j] + dLogDRows[j];
            }
            for (int s = 0; s < len; s++) {
                float a = dLogDColumns[s] + dLogE[s];
                dA[steps + s] = a;
                dB[s] -= a;
            }
            dB[len - 1] += dCarryLog + endLogSum;
            float suffix = 0;
            for (int j = len - 1; j >= 0; j--) {
                suffix += dB[j];
                dF[steps + j] = suffix * in.forgetSlope[steps + j];
            }

            // The state entering this chunk: dC0 = carry dC_L + (q diag(w))^T dNum, dn0 alike with dDen.
            read(qc, 0, wide, 0, len * dh);
            for (int e = 0; e < dh; e++) {
                dN[e] *= carry;
            }
            for (int j = 0; j < len; j++) {
                float w = in.stateWeight[steps + j];
                float nScale = w * dDen[j];
                for (int e = 0; e < dh; e++) {
                    float qv = wide[j * dh + e];
                    dN[e] += qv * nScale;
                    wide[j * dh + e] = qv * w;
                }
            }
            write(wide, 0, len * dh, wideB, 0);
            gemm(true, false, dh, dh, len, wideB, wideA, carry, dC);
        }

        /** dNum = dh / normalizer into {@code wideA}, dDen (zero where the floor is active). */
        private void upstreamTerms(long wideOffset, int steps) {
            read(in.dH, wideOffset, dNum, 0, len * dh);
            read(in.h, wideOffset, wide, 0, len * dh);
            for (int j = 0; j < len; j++) {
                float den = in.denominator[steps + j];
                float floor = (float) Math.exp(-in.stabilizer[steps + j]);
                float normalizer = Math.max(Math.abs(den), floor) + (float) GateLogs.EPS;
                float dhDotH = 0;
                for (int e = 0; e < dh; e++) {
                    float g = dNum[j * dh + e];
                    dhDotH += g * wide[j * dh + e];
                    dNum[j * dh + e] = g / normalizer;
                }
                // Where the floor wins, the normalizer is a constant of the step and den receives nothing.
                dDen[j] = Math.abs(den) > floor ? -dhDotH / normalizer * Math.signum(den) : 0f;
            }
            write(dNum, 0, len * dh, wideA, 0);
        }

        /**
         * scores = (q k'^T) * D with the decay weights D_js = exp(log D_js - m_j), dScores = dNum v^T + dDen_j;
         * the sums of dL/d log D = dScores * scores, and dScores turned into dProducts = dScores * D.
         */
        private void intraChunkWeights(FloatPointer qc, FloatPointer kc, FloatPointer vc, int steps) {
            gemm(false, true, len, len, dh, qc, kc, 0f, squareA);
            read(squareA, 0, scores, 0, len * len);
            gemm(false, true, len, len, dh, wideA, vc, 0f, squareB);
            read(squareB, 0, dScores, 0, len * len);
            Arrays.fill(dLogDColumns, 0f);
            for (int j = 0; j < len; j++) {
                float decay = in.logDecay[steps + j];
                float stab = in.stabilizer[steps + j];
                int at = j * len;
                float rowSum = 0;
                for (int s = 0; s <= j; s++) {
                    float weight = (float) Math.exp(decay + in.logSource[steps + s] - stab);
                    float score = scores[at + s] * weight;
                    float dScore = dScores[at + s] + dDen[j];
                    float dLogD = dScore * score;
                    rowSum += dLogD;
                    dLogDColumns[s] += dLogD;
                    scores[at + s] = score;
                    dScores[at + s] = dScore * weight;
                }
                for (int s = j + 1; s < len; s++) {
                    scores[at + s] = 0f;
                    dScores[at + s] = 0f;
                }
                dLogDRows[j] = rowSum;
            }
        }

        @Override
        public void close() {
            dC.close();
            squareA.close();
            squareB.close();
            wideA.close();
            wideB.close();
        }
    }
}
