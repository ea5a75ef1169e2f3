package org.xlstm.dl4j.backend.cpu;

import static org.xlstm.dl4j.backend.cpu.HostKernelSupport.block;
import static org.xlstm.dl4j.backend.cpu.HostKernelSupport.copy;
import static org.xlstm.dl4j.backend.cpu.HostKernelSupport.dot;
import static org.xlstm.dl4j.backend.cpu.HostKernelSupport.forEachRecurrence;
import static org.xlstm.dl4j.backend.cpu.HostKernelSupport.readAll;
import static org.xlstm.dl4j.backend.cpu.HostArrays.at;
import static org.xlstm.dl4j.backend.cpu.HostArrays.pointer;
import static org.xlstm.dl4j.backend.cpu.HostArrays.read;
import static org.xlstm.dl4j.backend.cpu.HostArrays.write;

import java.util.Arrays;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.portable.ChunkedSequence;
import org.xlstm.dl4j.kernel.portable.ChunkwiseMatrixMemoryForward;
import org.xlstm.dl4j.kernel.portable.ChunkwiseResiduals;

/**
 * The reference chunkwise backward ({@code ChunkwiseMatrixMemoryBackward}) on ND4J's CPU backend in float32: recurrences walk their chunks in
 * reverse together, carrying dC and dn, and each chunk's in-chunk terms are computed as it is reached
 * (stages of OpenBLAS products, Java loops for the L x L weights and the gate
 * sums) instead of as batched [N, L, L] and [N, DH, DH] intermediates. Same gradients, same conventions
 * (stabilizers held constant).
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

    /** @param dFinal dL/dC and dL/dn of the final state (its m is not read), or null for none */
    static MatrixMemoryGradients run(ChunkwiseResiduals r, INDArray upstream, MatrixMemoryState dFinal) {
        ChunkedSequence seq = r.sequence;
        int len = seq.chunk;
        int dh = (int) seq.headSize;
        int rows = (int) seq.rows;
        long n = seq.chunkRows();
        INDArray dH = seq.upstreamToChunks(upstream);
        Inputs in = new Inputs(r, HostArrays.usable(dH) ? dH : dH.dup('c'), dFinal);
        INDArray dQ = Nd4j.createUninitialized(DataType.FLOAT, n, len, dh);
        INDArray dK = Nd4j.createUninitialized(DataType.FLOAT, n, len, dh);
        INDArray dV = Nd4j.createUninitialized(DataType.FLOAT, n, len, dh);
        Gradients out = new Gradients(pointer(dQ, "dQ"), pointer(dK, "dK"), pointer(dV, "dV"), (int) (n * len),
                r.hasInitialState ? Nd4j.createUninitialized(DataType.FLOAT, rows, dh, dh) : null, rows, dh);

        forEachRecurrence(rows, size -> new Group(in, out, seq, size));

        MatrixMemoryState dInitial = null;
        if (out.dInitialC != null) {
            dInitial = new MatrixMemoryState(
                    out.dInitialC.reshape(seq.batch, seq.heads, dh, dh).castTo(seq.inputType),
                    Nd4j.createFromArray(out.dInitialN).reshape(seq.batch, seq.heads, dh).castTo(seq.inputType),
                    Nd4j.createFromArray(out.dInitialM).reshape(seq.batch, seq.heads).castTo(seq.inputType));
        }
        return new MatrixMemoryGradients(
                seq.sequenceFromChunks(dQ, false),
                seq.sequenceFromChunks(dK, false),
                seq.sequenceFromChunks(dV, false),
                seq.gateFromChunks(Nd4j.createFromArray(out.dA).reshape(n, len)),
                seq.gateFromChunks(Nd4j.createFromArray(out.dF).reshape(n, len)),
                dInitial);
    }

    /** Where the gradients go; recurrences write disjoint parts. */
    private static final class Gradients {
        final FloatPointer dQ;
        final FloatPointer dK;
        final FloatPointer dV;
        final float[] dA;
        final float[] dF;
        /** Null without an initial state. */
        final INDArray dInitialC;
        final float[] dInitialN;
        final float[] dInitialM;

        Gradients(FloatPointer dQ, FloatPointer dK, FloatPointer dV, int steps, INDArray dInitialC, int rows, int dh) {
            this.dQ = dQ;
            this.dK = dK;
            this.dV = dV;
            this.dA = new float[steps];
            this.dF = new float[steps];
            this.dInitialC = dInitialC;
            this.dInitialN = new float[rows * dh];
            this.dInitialM = new float[rows];
        }
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
        /** dL/dC [rows, DH, DH] and dL/dn [rows, DH] of the final state, or null for zeros. */
        final float[] dFinalC;
        final float[] dFinalN;

        Inputs(ChunkwiseResiduals r, INDArray dH, MatrixMemoryState dFinal) {
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
            dFinalC = dFinal == null ? null : readAll(dFinal.c.castTo(DataType.FLOAT).dup('c'), "dFinal C");
            dFinalN = dFinal == null ? null : readAll(dFinal.n.castTo(DataType.FLOAT).dup('c'), "dFinal n");
        }
    }

    /**
     * Recurrences walking their chunks backwards together: each chunk's products
     * of all of them form three {@link GemmQueue} runs (those that need only the carried gradient, those
     * that need the chunk's weights, the carried gradient's update), with Java loops between them on the
     * calling thread.
     */
    private static final class Group extends HostKernelSupport.RecurrenceGroup {
        private final Inputs in;
        private final Gradients out;
        private final int len;
        private final int dh;
        private final int chunks;
        private final float keyScale;
        private final GemmQueue batch;
        /** Heap working memory of the Java loops, shared: they run on the calling thread. */
        private final float[] scores;
        private final float[] dScores;
        private final float[] wide;
        private final float[] wide2;
        private final float[] valueRows;
        private final float[] chunkN;
        private final float[] endWeight;
        private final float[] dLogE;
        private final float[] dLogW;
        /** Row and column sums of dL/d log D_js = dScores_js * scores_js. */
        private final float[] dLogDRows;
        private final float[] dLogDColumns;
        private final float[] dB;

        Group(Inputs in, Gradients out, ChunkedSequence seq, int size) {
            super(size, 4, (int) seq.chunks, true);
            this.batch = batch();
            this.in = in;
            this.out = out;
            this.len = seq.chunk;
            this.dh = (int) seq.headSize;
            this.chunks = (int) seq.chunks;
            this.keyScale = (float) (1.0 / Math.sqrt(dh));
            scores = new float[len * len];
            dScores = new float[len * len];
            wide = new float[len * dh];
            wide2 = new float[len * dh];
            valueRows = new float[len * (len + dh)];
            chunkN = new float[dh];
            endWeight = new float[len];
            dLogE = new float[len];
            dLogW = new float[len];
            dLogDRows = new float[len];
            dLogDColumns = new float[len];
            dB = new float[len];
            fill(Recurrence::new);
        }

        /** One recurrence: dL/dC and dL/dn of the state leaving its current chunk, and its native operands. */
        private final class Recurrence implements HostKernelSupport.Member {
            /**
             * [L + DH, DH]: the chunk's dNum = dh / normalizer stacked on dC, so that dV is one product
             * [scores^T | diag(e) k'] x [dNum ; dC]. dC stays here from chunk to chunk.
             */
            final FloatPointer stacked;
            final FloatPointer dC;
            final FloatPointer scoresOut;
            final FloatPointer dScoresOut;
            final FloatPointer dKeyProducts;
            final FloatPointer valueLhs;
            final FloatPointer valuesReadDC;
            final FloatPointer queriesReadC0;
            final FloatPointer weightedDNum;
            final FloatPointer weightedQueries;
            final FloatPointer memory;
            final float[] dNum = new float[len * dh];
            final float[] dDen = new float[len];
            final float[] dN = new float[dh];
            int row;
            float carry;

            Recurrence() {
                long square = (long) len * len;
                long rows = (long) len * dh;
                FloatPointer[] parts = block((long) (len + dh) * dh, square, square, square, (long) len * (len + dh),
                        rows, rows, rows, rows);
                memory = parts[0];
                stacked = parts[1];
                dC = at(stacked, rows);
                scoresOut = parts[2];
                dScoresOut = parts[3];
                dKeyProducts = parts[4];
                valueLhs = parts[5];
                valuesReadDC = parts[6];
                queriesReadC0 = parts[7];
                weightedDNum = parts[8];
                weightedQueries = parts[9];
            }

            @Override
            public void queue(int stage, int ci) {
                if (stage == 0) {
                    queueReads(ci);
                } else if (stage == 1) {
                    queueGradients(ci);
                } else {
                    queueStateGradient(ci);
                }
            }

            @Override
            public void start(int recurrence) {
                row = recurrence;
                // The final state is the last chunk's end state (padded steps leave the state as it is).
                if (in.dFinalC == null) {
                    write(new float[dh * dh], 0, dh * dh, dC, 0);
                    Arrays.fill(dN, 0f);
                } else {
                    write(in.dFinalC, row * dh * dh, dh * dh, dC, 0);
                    System.arraycopy(in.dFinalN, row * dh, dN, 0, dh);
                }
            }

            /** dNum and dDen of chunk ci, then the products that need only them and the carried dC. */
            private void queueReads(int ci) {
                int cr = row * chunks + ci;
                long wideOffset = (long) cr * len * dh;
                upstreamTerms(wideOffset, cr * len);
                FloatPointer qc = at(in.q, wideOffset);
                FloatPointer kc = at(in.k, wideOffset);
                FloatPointer vc = at(in.v, wideOffset);
                batch.add(false, true, len, len, dh, qc, dh, kc, dh, 0f, scoresOut, len);
                batch.add(false, true, len, len, dh, stacked, dh, vc, dh, 0f, dScoresOut, len);
                batch.add(false, true, len, dh, dh, vc, dh, dC, dh, 0f, valuesReadDC, dh);
                batch.add(false, false, len, dh, dh, qc, dh, at(in.chunkC, (long) cr * dh * dh), dh, 0f,
                        queriesReadC0, dh);
            }

            /** dNum = dh / normalizer (into the top of {@code stacked}), dDen (zero where the floor is active). */
            private void upstreamTerms(long wideOffset, int steps) {
                read(in.dH, wideOffset, dNum, 0, len * dh);
                read(in.h, wideOffset, wide, 0, len * dh);
                for (int j = 0; j < len; j++) {
                    float den = in.denominator[steps + j];
                    float floor = (float) Math.exp(-in.stabilizer[steps + j]);
                    float normalizer = Math.max(Math.abs(den), floor) + (float) MatrixMemoryKernel.NORMALIZER_EPS;
                    float dhDotH = 0;
                    for (int e = 0; e < dh; e++) {
                        float g = dNum[j * dh + e];
                        dhDotH += g * wide[j * dh + e];
                        dNum[j * dh + e] = g / normalizer;
                    }
                    // Where the floor wins, the normalizer is a constant of the step and den receives nothing.
                    dDen[j] = Math.abs(den) > floor ? -dhDotH / normalizer * Math.signum(den) : 0f;
                }
                write(dNum, 0, len * dh, stacked, 0);
            }

            /**
             * The chunk's gate gradients, the parts of dK and dQ that need no product, and the products of dV,
             * dK and dQ; dn becomes that of the state entering the chunk.
             */
            private void queueGradients(int ci) {
                int cr = row * chunks + ci;
                long wideOffset = (long) cr * len * dh;
                int steps = cr * len;
                FloatPointer qc = at(in.q, wideOffset);
                FloatPointer kc = at(in.k, wideOffset);
                read(in.chunkN, (long) cr * dh, chunkN, 0, dh);
                intraChunkWeights(steps);
                float endLogSum = valueAndKeyEndTerms(cr, wideOffset, kc);
                queryStateTerms(wideOffset, steps, qc);

                // Gate gradients: b_j (in-chunk log decay) and a_s = i_s - b_s.
                carry = (float) Math.exp(in.chunkDecay[cr] + in.chunkM[cr] - in.endM[cr]);
                float dCarryLog = carry * stateDot(cr);
                for (int j = 0; j < len; j++) {
                    dB[j] = dLogW[j] + dLogDRows[j];
                }
                for (int s = 0; s < len; s++) {
                    float a = dLogDColumns[s] + dLogE[s];
                    out.dA[steps + s] = a;
                    dB[s] -= a;
                }
                dB[len - 1] += dCarryLog + endLogSum;
                float suffix = 0;
                for (int j = len - 1; j >= 0; j--) {
                    suffix += dB[j];
                    out.dF[steps + j] = suffix * in.forgetSlope[steps + j];
                }

                // dn0 = carry dn_L + sum_j w_j dDen_j q_j; dC0 needs (q diag(w))^T dNum, a product.
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
                write(wide, 0, len * dh, weightedQueries, 0);

                int width = len + dh;
                batch.add(false, false, len, dh, width, valueLhs, width, stacked, dh, 0f, at(out.dV, wideOffset), dh);
                batch.add(true, false, len, dh, len, dKeyProducts, len, qc, dh, 1f, at(out.dK, wideOffset), dh);
                batch.add(false, false, len, dh, len, dScoresOut, len, kc, dh, 1f, at(out.dQ, wideOffset), dh);
            }

            /**
             * scores = (q k'^T) * D with the decay weights D_js = exp(log D_js - m_j), dScores = dNum v^T + dDen_j;
             * the sums of dL/d log D = dScores * scores. Writes dProducts = dScores * D for dQ, and
             * dProducts / sqrt(DH) for dK (whose keys were scaled in the forward).
             */
            private void intraChunkWeights(int steps) {
                read(scoresOut, 0, scores, 0, len * len);
                read(dScoresOut, 0, dScores, 0, len * len);
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
                write(dScores, 0, len * len, dScoresOut, 0);
                for (int i = 0; i < len * len; i++) {
                    dScores[i] *= keyScale;
                }
                write(dScores, 0, len * len, dKeyProducts, 0);
            }

            /**
             * The left operand of dV, [scores^T | diag(e) k'] with e the end weights of the steps, and the
             * end-state part of dK, diag(e) (v dC_L^T + 1 dn_L^T) / sqrt(DH), written into dK for its product
             * to add to. Returns the sum of dLogE_s = k'_s . dKEnd_s.
             */
            private float valueAndKeyEndTerms(int cr, long wideOffset, FloatPointer kc) {
                int steps = cr * len;
                int width = len + dh;
                read(kc, 0, wide2, 0, len * dh);
                for (int s = 0; s < len; s++) {
                    endWeight[s] = (float) Math.exp(in.endLogWeight[steps + s] - in.endM[cr]);
                    int at = s * width;
                    for (int j = 0; j < len; j++) {
                        valueRows[at + j] = scores[j * len + s];
                    }
                    for (int e = 0; e < dh; e++) {
                        valueRows[at + len + e] = wide2[s * dh + e] * endWeight[s];
                    }
                }
                write(valueRows, 0, len * width, valueLhs, 0);

                read(valuesReadDC, 0, wide, 0, len * dh);
                float endLogSum = 0;
                for (int s = 0; s < len; s++) {
                    float logE = 0;
                    for (int e = 0; e < dh; e++) {
                        float g = (wide[s * dh + e] + dN[e]) * endWeight[s];
                        logE += wide2[s * dh + e] * g;
                        wide[s * dh + e] = g * keyScale;
                    }
                    dLogE[s] = logE;
                    endLogSum += logE;
                }
                write(wide, 0, len * dh, out.dK, wideOffset);
                return endLogSum;
            }

            /**
             * The carried-state part of dQ: w_j dDen_j n0 written into dQ for its products to add to, and
             * w_j dNum_j for the product with C0^T; dLogW_j = w_j (dNum_j . q_j C0 + dDen_j q_j . n0).
             */
            private void queryStateTerms(long wideOffset, int steps, FloatPointer qc) {
                read(queriesReadC0, 0, wide, 0, len * dh);
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
                    float scale = w * dDen[j];
                    for (int e = 0; e < dh; e++) {
                        wide[j * dh + e] = dNum[j * dh + e] * w;
                        wide2[j * dh + e] = scale * chunkN[e];
                    }
                }
                write(wide, 0, len * dh, weightedDNum, 0);
                write(wide2, 0, len * dh, out.dQ, wideOffset);
            }

            /** The last term of dQ, and dC becomes that of the state entering the chunk: carry dC_L + (q diag(w))^T dNum. */
            private void queueStateGradient(int ci) {
                int cr = row * chunks + ci;
                long wideOffset = (long) cr * len * dh;
                batch.add(false, true, len, dh, dh, weightedDNum, dh, at(in.chunkC, (long) cr * dh * dh), dh, 1f,
                        at(out.dQ, wideOffset), dh);
                batch.add(true, false, dh, dh, len, weightedQueries, dh, stacked, dh, carry, dC, dh);
            }

            /** sum(dC * C0) + sum(dn * n0) with the state entering chunk cr: the gradient of its log scale. */
            private float stateDot(int cr) {
                read(in.chunkN, (long) cr * dh, chunkN, 0, dh);
                float sum = dot(dC, at(in.chunkC, (long) cr * dh * dh), (long) dh * dh);
                for (int e = 0; e < dh; e++) {
                    sum += dN[e] * chunkN[e];
                }
                return sum;
            }

            @Override
            public void finish() {
                if (out.dInitialC == null) {
                    return;
                }
                copy(dC, at(pointer(out.dInitialC, "dInitial C"), (long) row * dh * dh), (long) dh * dh);
                System.arraycopy(dN, 0, out.dInitialN, row * dh, dh);
                // The initial m scales the true state C0 exp(m0), n0 exp(m0).
                out.dInitialM[row] = stateDot(row * chunks);
            }

            @Override
            public void close() {
                memory.close();
            }
        }
    }
}
