package org.xlstm.dl4j.backend.cpu;

import static org.xlstm.dl4j.backend.cpu.HostKernelSupport.block;
import static org.xlstm.dl4j.backend.cpu.HostKernelSupport.copy;
import static org.xlstm.dl4j.backend.cpu.HostKernelSupport.forEachRecurrence;
import static org.xlstm.dl4j.backend.cpu.HostKernelSupport.readAll;
import static org.xlstm.dl4j.backend.cpu.HostArrays.at;
import static org.xlstm.dl4j.backend.cpu.HostArrays.pointer;
import static org.xlstm.dl4j.backend.cpu.HostArrays.read;
import static org.xlstm.dl4j.backend.cpu.HostArrays.write;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.portable.ChunkedSequence;
import org.xlstm.dl4j.kernel.portable.ChunkwiseMatrixMemoryForward;
import org.xlstm.dl4j.kernel.portable.ChunkwiseResiduals;

/**
 * The reference chunkwise forward ({@code ChunkwiseMatrixMemoryForward}) on ND4J's CPU backend in float32.
 * Each recurrence (batch row and head) walks its chunks: per chunk three stages of OpenBLAS products (q k^T,
 * the output, the state update) with Java loops between them for the L x L decay weights, stabilizers and
 * normalizers. The batched ND4J version writes and rereads every [N, L, L] and [N, DH, DH] intermediate in a
 * dozen separate passes; here only the residuals the backward reads are written, the same ones, so the
 * backward is shared.
 *
 * <p>The 1 / normalizer of each output row is folded into the intra-chunk weights and the carried-state
 * weight before the products, which changes rounding only.
 */
final class HostChunkwiseForward {
    private HostChunkwiseForward() {
    }

    /** Only call where {@link org.xlstm.dl4j.ops.HostBlas#available()} holds: this class calls OpenBLAS. */
    static boolean applies(ChunkedSequence seq) {
        return seq.computeType == DataType.FLOAT
                && HostArrays.usable(seq.q, seq.kScaled, seq.v, seq.logDecay, seq.logSource, seq.chunkDecay,
                seq.endLogWeight);
    }

    /** Without {@code keepResiduals} the states entering the chunks are not saved and there are no residuals. */
    static MatrixMemoryForward run(ChunkedSequence seq, MatrixMemoryState initial, boolean keepResiduals) {
        int rows = (int) seq.rows;
        Outputs out = new Outputs(seq, initial, keepResiduals);
        Gates gates = new Gates(seq);
        forEachRecurrence(rows, size -> new Group(seq, out, gates, size));
        out.writeGates();

        long dh = seq.headSize;
        MatrixMemoryState finalState = new MatrixMemoryState(
                out.finalC.reshape(seq.batch, seq.heads, dh, dh).castTo(seq.inputType),
                out.finalN.reshape(seq.batch, seq.heads, dh).castTo(seq.inputType),
                out.finalM.reshape(seq.batch, seq.heads).castTo(seq.inputType));
        ChunkwiseResiduals residuals = keepResiduals ? new ChunkwiseResiduals(seq, out.stabilizer,
                out.stateWeight, out.denominator, out.h, out.chunkC, out.chunkN, out.chunkM, out.endM,
                initial != null) : null;
        return new MatrixMemoryForward(seq.sequenceFromChunks(out.h, true), finalState, residuals);
    }

    /** The per-step gate sums of {@link ChunkedSequence}, read once onto the heap. */
    private static final class Gates {
        final float[] logDecay;
        final float[] logSource;
        final float[] chunkDecay;
        final float[] endLogWeight;

        Gates(ChunkedSequence seq) {
            logDecay = readAll(seq.logDecay, "logDecay");
            logSource = readAll(seq.logSource, "logSource");
            chunkDecay = readAll(seq.chunkDecay, "chunkDecay");
            endLogWeight = readAll(seq.endLogWeight, "endLogWeight");
        }
    }

    /** The arrays the forward produces; recurrences write disjoint parts of them. */
    private static final class Outputs {
        final INDArray h;
        /** The states entering each chunk; null when no residuals are kept. */
        final INDArray chunkC;
        final INDArray chunkN;
        final INDArray chunkM;
        final INDArray endM;
        final INDArray finalC;
        final INDArray finalN;
        final INDArray finalM;
        final INDArray stabilizer;
        final INDArray stateWeight;
        final INDArray denominator;
        /** Small per-step values gathered on the heap, written to their arrays once at the end. */
        final float[] stabilizers;
        final float[] stateWeights;
        final float[] denominators;
        final float[] chunkMs;
        final float[] endMs;
        final float[] finalMs;
        final INDArray initialC;
        final INDArray initialN;
        final float[] initialM;

        Outputs(ChunkedSequence seq, MatrixMemoryState initial, boolean keepResiduals) {
            long n = seq.chunkRows();
            long dh = seq.headSize;
            long rows = seq.rows;
            h = Nd4j.createUninitialized(DataType.FLOAT, n, seq.chunk, dh);
            chunkC = keepResiduals ? Nd4j.createUninitialized(DataType.FLOAT, n, dh, dh) : null;
            chunkN = keepResiduals ? Nd4j.createUninitialized(DataType.FLOAT, n, dh) : null;
            chunkM = Nd4j.createUninitialized(DataType.FLOAT, n);
            endM = Nd4j.createUninitialized(DataType.FLOAT, n);
            finalC = Nd4j.createUninitialized(DataType.FLOAT, rows, dh, dh);
            finalN = Nd4j.createUninitialized(DataType.FLOAT, rows, dh);
            finalM = Nd4j.createUninitialized(DataType.FLOAT, rows);
            stabilizer = Nd4j.createUninitialized(DataType.FLOAT, n, seq.chunk);
            stateWeight = Nd4j.createUninitialized(DataType.FLOAT, n, seq.chunk);
            denominator = Nd4j.createUninitialized(DataType.FLOAT, n, seq.chunk);
            stabilizers = new float[(int) (n * seq.chunk)];
            stateWeights = new float[stabilizers.length];
            denominators = new float[stabilizers.length];
            chunkMs = new float[(int) n];
            endMs = new float[(int) n];
            finalMs = new float[(int) rows];
            if (initial == null) {
                initialC = Nd4j.zeros(DataType.FLOAT, rows, dh, dh);
                initialN = Nd4j.zeros(DataType.FLOAT, rows, dh);
                initialM = new float[(int) rows];
            } else {
                initialC = initial.c.castTo(DataType.FLOAT).reshape(rows, dh, dh).dup('c');
                initialN = initial.n.castTo(DataType.FLOAT).reshape(rows, dh).dup('c');
                initialM = initial.m.castTo(DataType.FLOAT).reshape(rows).dup('c').toFloatVector();
            }
        }

        void writeGates() {
            write(stabilizers, 0, stabilizers.length, pointer(stabilizer, "stabilizer"), 0);
            write(stateWeights, 0, stateWeights.length, pointer(stateWeight, "stateWeight"), 0);
            write(denominators, 0, denominators.length, pointer(denominator, "denominator"), 0);
            write(chunkMs, 0, chunkMs.length, pointer(chunkM, "chunkM"), 0);
            write(endMs, 0, endMs.length, pointer(endM, "endM"), 0);
            write(finalMs, 0, finalMs.length, pointer(finalM, "finalM"), 0);
        }
    }

    /**
     * Recurrences (batch row and head) advanced chunk by chunk together; each stage's products are queued
     * in one {@link GemmQueue} and run on the calling thread.
     */
    private static final class Group extends HostKernelSupport.RecurrenceGroup {
        private final Outputs out;
        private final Gates gates;
        private final int len;
        private final int dh;
        private final int chunks;
        private final GemmQueue batch;
        private final FloatPointer q;
        private final FloatPointer k;
        private final FloatPointer v;
        private final FloatPointer h;
        private final FloatPointer chunkC;
        private final FloatPointer chunkN;
        /** Heap copies for the Java loops: the q k^T scores, q rows, scaled key rows, the decay weights. */
        private final float[] scores;
        private final float[] weightsAndQ;
        private final float[] keys;
        private final float[] stabilizers;
        private final float[] decayWeights;
        private final float[] expScratch;

        Group(ChunkedSequence seq, Outputs out, Gates gates, int size) {
            super(size, 1, (int) seq.chunks, false);
            this.batch = batch();
            this.out = out;
            this.gates = gates;
            this.len = seq.chunk;
            this.dh = (int) seq.headSize;
            this.chunks = (int) seq.chunks;
            this.q = pointer(seq.q, "q");
            this.k = pointer(seq.kScaled, "k");
            this.v = pointer(seq.v, "v");
            this.h = pointer(out.h, "h");
            this.chunkC = out.chunkC == null ? null : pointer(out.chunkC, "chunkC");
            this.chunkN = out.chunkN == null ? null : pointer(out.chunkN, "chunkN");
            this.scores = new float[len * len];
            this.weightsAndQ = new float[len * (len + dh)];
            this.keys = new float[len * dh];
            this.stabilizers = new float[len];
            this.decayWeights = new float[len * len];
            this.expScratch = new float[len * len];
            fill(Recurrence::new);
        }

        /** One recurrence's carried state and the native operands of its products. */
        private final class Recurrence implements HostKernelSupport.Member {
            /**
             * [L + DH, DH]: the current chunk's v rows stacked on the state C, so that the chunk's output is
             * one product [weights | scaled q] x [v ; C]. C stays here from chunk to chunk.
             */
            final FloatPointer stacked;
            final FloatPointer state;
            final FloatPointer scoresOut;
            final FloatPointer lhs;
            final FloatPointer scaledKeys;
            final FloatPointer memory;
            final float[] nrm = new float[dh];
            int row;
            float m;

            Recurrence() {
                FloatPointer[] parts = block((long) (len + dh) * dh, (long) len * len, (long) len * (len + dh),
                        (long) len * dh);
                memory = parts[0];
                stacked = parts[1];
                state = at(stacked, (long) len * dh);
                scoresOut = parts[2];
                lhs = parts[3];
                scaledKeys = parts[4];
            }

            @Override
            public void queue(int stage, int ci) {
                if (stage == 0) {
                    queueScores(ci);
                } else if (stage == 1) {
                    queueOutput(ci);
                } else {
                    queueAdvance(ci);
                }
            }

            @Override
            public void start(int recurrence) {
                row = recurrence;
                long matrix = (long) dh * dh;
                copy(at(pointer(out.initialC, "initial C"), row * matrix), state, matrix);
                read(pointer(out.initialN, "initial n"), (long) row * dh, nrm, 0, dh);
                m = out.initialM[row];
            }

            /** Saves the state entering chunk ci (a residual of the backward), if kept, and queues q k^T. */
            private void queueScores(int ci) {
                int cr = row * chunks + ci;
                long matrix = (long) dh * dh;
                if (chunkC != null) {
                    copy(state, at(chunkC, cr * matrix), matrix);
                    write(nrm, 0, dh, chunkN, (long) cr * dh);
                }
                out.chunkMs[cr] = m;
                long rowsOffset = (long) cr * len * dh;
                copy(at(v, rowsOffset), stacked, (long) len * dh);
                batch.add(false, true, len, len, dh, at(q, rowsOffset), dh, at(k, rowsOffset), dh, 0f, scoresOut, len);
            }

            /**
             * The output of chunk cr: (weights (q k^T) v + w_j q_j C0) / normalizer_j, with the residuals of
             * every step. The 1 / normalizer of each row is folded into its weights and its q row.
             */
            private void queueOutput(int ci) {
                int cr = row * chunks + ci;
                long rowsOffset = (long) cr * len * dh;
                int steps = cr * len;
                int width = len + dh;
                read(scoresOut, 0, scores, 0, len * len);
                for (int j = 0; j < len; j++) {
                    read(q, rowsOffset + (long) j * dh, weightsAndQ, j * width + len, dh);
                }
                // m_j = b_j + max(m0, max_{s<=j} a_s): the same value as the max over the step's log weights
                float runningMax = m;
                for (int j = 0; j < len; j++) {
                    runningMax = Math.max(runningMax, gates.logSource[steps + j]);
                    stabilizers[j] = gates.logDecay[steps + j] + runningMax;
                }
                // the decay weights exp(b_j + a_s - m_j) of the whole square at once (above the diagonal unused)
                for (int j = 0; j < len; j++) {
                    float decay = gates.logDecay[steps + j];
                    for (int src = 0; src < len; src++) {
                        decayWeights[j * len + src] = (decay + gates.logSource[steps + src]) - stabilizers[j];
                    }
                }
                HostExp.exp(decayWeights, 1f, len * len, decayWeights, expScratch);
                for (int j = 0; j < len; j++) {
                    float stateLog = gates.logDecay[steps + j] + m;
                    float stab = stabilizers[j];
                    int at = j * width;
                    double den = 0;
                    for (int src = 0; src <= j; src++) {
                        float weighted = scores[j * len + src] * decayWeights[j * len + src];
                        weightsAndQ[at + src] = weighted;
                        den += weighted;
                    }
                    float stateWeight = (float) Math.exp(stateLog - stab);
                    int qAt = at + len;
                    double qn = 0;
                    for (int e = 0; e < dh; e++) {
                        qn += weightsAndQ[qAt + e] * nrm[e];
                    }
                    den += stateWeight * qn;
                    float denominator = (float) den;
                    float inv = 1f / (Math.max(Math.abs(denominator), (float) Math.exp(-stab)) + (float) MatrixMemoryKernel.NORMALIZER_EPS);
                    for (int src = 0; src <= j; src++) {
                        weightsAndQ[at + src] *= inv;
                    }
                    for (int src = j + 1; src < len; src++) {
                        weightsAndQ[at + src] = 0f;
                    }
                    float rowScale = stateWeight * inv;
                    for (int e = 0; e < dh; e++) {
                        weightsAndQ[qAt + e] *= rowScale;
                    }
                    out.stabilizers[steps + j] = stab;
                    out.stateWeights[steps + j] = stateWeight;
                    out.denominators[steps + j] = denominator;
                }
                write(weightsAndQ, 0, len * width, lhs, 0);
                batch.add(false, false, len, dh, width, lhs, width, stacked, dh, 0f, at(h, rowsOffset), dh);
            }

            /** Queues the state leaving chunk ci: C = carry C + sum_s fresh w_s k_s v_s^T; n and m updated here. */
            private void queueAdvance(int ci) {
                int cr = row * chunks + ci;
                long rowsOffset = (long) cr * len * dh;
                int steps = cr * len;
                float localMax = (float) ChunkwiseMatrixMemoryForward.LOG_FLOOR;
                for (int src = 0; src < len; src++) {
                    localMax = Math.max(localMax, gates.endLogWeight[steps + src]);
                }
                float decayed = gates.chunkDecay[cr] + m;
                float next = Math.max(decayed, localMax);
                float carry = (float) Math.exp(decayed - next);
                float fresh = (float) Math.exp(localMax - next);
                read(k, rowsOffset, keys, 0, len * dh);
                for (int e = 0; e < dh; e++) {
                    nrm[e] *= carry;
                }
                for (int src = 0; src < len; src++) {
                    float weight = fresh * (float) Math.exp(gates.endLogWeight[steps + src] - localMax);
                    int at = src * dh;
                    for (int e = 0; e < dh; e++) {
                        float scaled = keys[at + e] * weight;
                        keys[at + e] = scaled;
                        nrm[e] += scaled;
                    }
                }
                write(keys, 0, len * dh, scaledKeys, 0);
                batch.add(true, false, dh, dh, len, scaledKeys, dh, stacked, dh, carry, state, dh);
                out.endMs[cr] = next;
                m = next;
            }

            @Override
            public void finish() {
                long matrix = (long) dh * dh;
                copy(state, at(pointer(out.finalC, "final C"), row * matrix), matrix);
                write(nrm, 0, dh, pointer(out.finalN, "final n"), (long) row * dh);
                out.finalMs[row] = m;
            }

            @Override
            public void close() {
                memory.close();
            }
        }
    }
}
