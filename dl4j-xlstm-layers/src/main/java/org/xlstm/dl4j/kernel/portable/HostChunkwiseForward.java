package org.xlstm.dl4j.kernel.portable;

import static org.xlstm.dl4j.kernel.portable.HostKernelSupport.copy;
import static org.xlstm.dl4j.kernel.portable.HostKernelSupport.forEachRecurrence;
import static org.xlstm.dl4j.kernel.portable.HostKernelSupport.gemm;
import static org.xlstm.dl4j.kernel.portable.HostKernelSupport.readAll;
import static org.xlstm.dl4j.ops.HostArrays.at;
import static org.xlstm.dl4j.ops.HostArrays.pointer;
import static org.xlstm.dl4j.ops.HostArrays.read;
import static org.xlstm.dl4j.ops.HostArrays.write;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.ops.HostArrays;

/**
 * {@link ChunkwiseMatrixMemoryForward} on ND4J's CPU backend in float32, one recurrence (batch row and head)
 * at a time with its state kept in cache: per chunk four single-threaded OpenBLAS products on the arrays in
 * place and one Java loop for the L x L decay weights, stabilizers and normalizers. The batched ND4J
 * version writes and rereads every [N, L, L] and [N, DH, DH] intermediate in a dozen separate passes;
 * here only the residuals the backward reads are written, the same ones, so the backward is shared.
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

    static MatrixMemoryForward run(ChunkedSequence seq, MatrixMemoryState initial) {
        int len = seq.chunk;
        int dh = (int) seq.headSize;
        int rows = (int) seq.rows;
        int chunks = (int) seq.chunks;
        Outputs out = new Outputs(seq, initial);
        float[] logDecay = readAll(seq.logDecay, "logDecay");
        float[] logSource = readAll(seq.logSource, "logSource");
        float[] chunkDecay = readAll(seq.chunkDecay, "chunkDecay");
        float[] endLogWeight = readAll(seq.endLogWeight, "endLogWeight");

        forEachRecurrence(rows, (from, to) -> {
            try (Scratch s = new Scratch(len, dh)) {
                for (int r = from; r < to; r++) {
                    new Recurrence(seq, out, s, logDecay, logSource, chunkDecay, endLogWeight, r * chunks)
                            .run(r, chunks);
                }
            }
        });
        out.writeGates();

        MatrixMemoryState finalState = new MatrixMemoryState(
                out.finalC.reshape(seq.batch, seq.heads, dh, dh).castTo(seq.inputType),
                out.finalN.reshape(seq.batch, seq.heads, dh).castTo(seq.inputType),
                out.finalM.reshape(seq.batch, seq.heads).castTo(seq.inputType));
        ChunkwiseResiduals residuals = new ChunkwiseResiduals(seq, out.stabilizer, out.stateWeight,
                out.denominator, out.h, out.chunkC, out.chunkN, out.chunkM, out.endM, initial != null);
        return new MatrixMemoryForward(seq.sequenceFromChunks(out.h, true), finalState, residuals);
    }

    /** The arrays the forward produces; recurrences write disjoint parts of them. */
    private static final class Outputs {
        final INDArray h;
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

        Outputs(ChunkedSequence seq, MatrixMemoryState initial) {
            long n = seq.chunkRows();
            long dh = seq.headSize;
            long rows = seq.rows;
            h = Nd4j.createUninitialized(DataType.FLOAT, n, seq.chunk, dh);
            chunkC = Nd4j.createUninitialized(DataType.FLOAT, n, dh, dh);
            chunkN = Nd4j.createUninitialized(DataType.FLOAT, n, dh);
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

    /** Per-thread working memory: native where OpenBLAS reads or writes it, heap for the Java loops. */
    private static final class Scratch implements AutoCloseable {
        final FloatPointer products;
        final FloatPointer rowsScaled;
        final FloatPointer state;
        final float[] qk;
        final float[] weights;
        final float[] qChunk;
        final float[] kChunk;
        final float[] logD;

        Scratch(int len, int dh) {
            products = new FloatPointer((long) len * len);
            rowsScaled = new FloatPointer((long) len * dh);
            state = new FloatPointer((long) dh * dh);
            qk = new float[len * len];
            weights = new float[len * len];
            qChunk = new float[len * dh];
            kChunk = new float[len * dh];
            logD = new float[len];
        }

        @Override
        public void close() {
            products.close();
            rowsScaled.close();
            state.close();
        }
    }

    /** One recurrence: the chunks of one batch row and head, in order. */
    private static final class Recurrence {
        private final Outputs out;
        private final Scratch s;
        private final float[] logDecay;
        private final float[] logSource;
        private final float[] chunkDecay;
        private final float[] endLogWeight;
        private final int len;
        private final int dh;
        private final FloatPointer q;
        private final FloatPointer k;
        private final FloatPointer v;
        private final FloatPointer h;
        private final FloatPointer chunkC;
        private final FloatPointer chunkN;
        private final int firstChunk;
        /** The carried normalizer state n and stabilizer m; C lives in {@code s.state}. */
        private final float[] nrm;
        private float m;

        Recurrence(ChunkedSequence seq, Outputs out, Scratch s, float[] logDecay, float[] logSource,
                   float[] chunkDecay, float[] endLogWeight, int firstChunk) {
            this.out = out;
            this.s = s;
            this.logDecay = logDecay;
            this.logSource = logSource;
            this.chunkDecay = chunkDecay;
            this.endLogWeight = endLogWeight;
            this.len = seq.chunk;
            this.dh = (int) seq.headSize;
            this.q = pointer(seq.q, "q");
            this.k = pointer(seq.kScaled, "k");
            this.v = pointer(seq.v, "v");
            this.h = pointer(out.h, "h");
            this.chunkC = pointer(out.chunkC, "chunkC");
            this.chunkN = pointer(out.chunkN, "chunkN");
            this.firstChunk = firstChunk;
            this.nrm = new float[dh];
        }

        void run(int row, int chunks) {
            long matrix = (long) dh * dh;
            copy(at(pointer(out.initialC, "initial C"), row * matrix), s.state, matrix);
            read(pointer(out.initialN, "initial n"), (long) row * dh, nrm, 0, dh);
            m = out.initialM[row];
            for (int ci = 0; ci < chunks; ci++) {
                int cr = firstChunk + ci;
                copy(s.state, at(chunkC, cr * matrix), matrix);
                write(nrm, 0, dh, chunkN, (long) cr * dh);
                out.chunkMs[cr] = m;
                output(cr);
                advance(cr);
                out.endMs[cr] = m;
            }
            copy(s.state, at(pointer(out.finalC, "final C"), row * matrix), matrix);
            write(nrm, 0, dh, pointer(out.finalN, "final n"), (long) row * dh);
            out.finalMs[row] = m;
        }

        /** h of chunk cr: (weights (q k^T) v + w_j q_j C0) / normalizer_j, with the residuals of every step. */
        private void output(int cr) {
            long rowsOffset = (long) cr * len * dh;
            int steps = cr * len;
            gemm(false, true, len, len, dh, at(q, rowsOffset), at(k, rowsOffset), 0f, s.products);
            read(s.products, 0, s.qk, 0, len * len);
            read(q, rowsOffset, s.qChunk, 0, len * dh);
            for (int j = 0; j < len; j++) {
                float decay = logDecay[steps + j];
                float stateLog = decay + m;
                float stab = stateLog;
                for (int src = 0; src <= j; src++) {
                    float d = decay + logSource[steps + src];
                    s.logD[src] = d;
                    stab = Math.max(stab, d);
                }
                double den = 0;
                int at = j * len;
                for (int src = 0; src <= j; src++) {
                    float weighted = s.qk[at + src] * (float) Math.exp(s.logD[src] - stab);
                    s.weights[at + src] = weighted;
                    den += weighted;
                }
                float stateWeight = (float) Math.exp(stateLog - stab);
                int qAt = j * dh;
                double qn = 0;
                for (int e = 0; e < dh; e++) {
                    qn += s.qChunk[qAt + e] * nrm[e];
                }
                den += stateWeight * qn;
                float denominator = (float) den;
                float inv = 1f / (Math.max(Math.abs(denominator), (float) Math.exp(-stab)) + (float) GateLogs.EPS);
                for (int src = 0; src <= j; src++) {
                    s.weights[at + src] *= inv;
                }
                for (int src = j + 1; src < len; src++) {
                    s.weights[at + src] = 0f;
                }
                float rowScale = stateWeight * inv;
                for (int e = 0; e < dh; e++) {
                    s.qChunk[qAt + e] *= rowScale;
                }
                out.stabilizers[steps + j] = stab;
                out.stateWeights[steps + j] = stateWeight;
                out.denominators[steps + j] = denominator;
            }
            write(s.weights, 0, len * len, s.products, 0);
            write(s.qChunk, 0, len * dh, s.rowsScaled, 0);
            FloatPointer hChunk = at(h, rowsOffset);
            gemm(false, false, len, dh, len, s.products, at(v, rowsOffset), 0f, hChunk);
            gemm(false, false, len, dh, dh, s.rowsScaled, s.state, 1f, hChunk);
        }

        /** The state leaving chunk cr: C = carry C + sum_s fresh w_s k_s v_s^T, likewise n; m rescaled. */
        private void advance(int cr) {
            long rowsOffset = (long) cr * len * dh;
            int steps = cr * len;
            float localMax = (float) ChunkwiseMatrixMemoryForward.LOG_FLOOR;
            for (int src = 0; src < len; src++) {
                localMax = Math.max(localMax, endLogWeight[steps + src]);
            }
            float decayed = chunkDecay[cr] + m;
            float next = Math.max(decayed, localMax);
            float carry = (float) Math.exp(decayed - next);
            float fresh = (float) Math.exp(localMax - next);
            read(k, rowsOffset, s.kChunk, 0, len * dh);
            for (int e = 0; e < dh; e++) {
                nrm[e] *= carry;
            }
            for (int src = 0; src < len; src++) {
                float weight = fresh * (float) Math.exp(endLogWeight[steps + src] - localMax);
                int at = src * dh;
                for (int e = 0; e < dh; e++) {
                    float scaled = s.kChunk[at + e] * weight;
                    s.kChunk[at + e] = scaled;
                    nrm[e] += scaled;
                }
            }
            write(s.kChunk, 0, len * dh, s.rowsScaled, 0);
            gemm(true, false, dh, dh, len, s.rowsScaled, at(v, rowsOffset), carry, s.state);
            m = next;
        }
    }
}
