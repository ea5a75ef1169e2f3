package org.xlstm.dl4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.portable.ChunkedSequence;
import org.xlstm.dl4j.kernel.portable.ChunkwiseResiduals;
import org.xlstm.dl4j.kernel.portable.MlstmInputs;
import org.xlstm.dl4j.kernel.portable.PiecewiseBackward;
import org.xlstm.dl4j.kernel.portable.PortableMatrixMemoryKernel;

/**
 * The CPU float32 forward and backward ({@link HostChunkwiseForward}, {@link HostChunkwiseBackward}, through {@link CpuMatrixMemoryKernel}) against
 * the batched ND4J versions run in float64 on the same inputs: outputs, final state, every residual the
 * backward reads, and the gradients. Float32 rounding of the inputs dominates the differences (about 1e-6
 * relative).
 */
class HostChunkwiseKernelTest {
    private static final MatrixMemoryKernel REFERENCE = PortableMatrixMemoryKernel.INSTANCE;
    private static final MatrixMemoryKernel KERNEL = new CpuMatrixMemoryKernel();
    private static final double RELATIVE = 2e-5;

    @Test
    void floatRunsOnTheHostPath() {
        assertTrue(HostBlas.available(), "the CPU backend test run must exercise the host path");
        MlstmInputs in = MlstmInputs.random(41, 2, 3, 10, 4).castTo(DataType.FLOAT);
        ChunkedSequence seq = new ChunkedSequence(in.q, in.k, in.v, in.igate, in.fgate, null, 4);
        assertTrue(HostChunkwiseForward.applies(seq));
        MatrixMemoryForward out = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, null, null, 4);
        assertTrue(HostChunkwiseBackward.applies((ChunkwiseResiduals) out.residuals));
        MlstmInputs doubles = MlstmInputs.random(41, 2, 3, 10, 4);
        assertTrue(!HostChunkwiseForward.applies(
                new ChunkedSequence(doubles.q, doubles.k, doubles.v, doubles.igate, doubles.fgate, null, 4)),
                "float64 keeps the reference path, which these tests compare against");
    }

    @Test
    void matchesTheBatchedForwardForEveryChunkLayout() {
        // chunk 1, a chunk that divides T, one that leaves padding, one longer than T; T = 1
        int[][] cases = {{2, 3, 12, 8, 1}, {2, 3, 12, 8, 4}, {1, 2, 13, 16, 5}, {2, 2, 7, 4, 64}, {3, 1, 1, 6, 64}};
        for (int[] c : cases) {
            MlstmInputs in = MlstmInputs.random(42 + c[2], c[0], c[1], c[2], c[3]);
            compare("B" + c[0] + " NH" + c[1] + " T" + c[2] + " DH" + c[3] + " L" + c[4], in, null, null, c[4]);
        }
    }

    @Test
    void matchesTheBatchedForwardWithMaskAndInitialState() {
        MlstmInputs in = MlstmInputs.random(51, 2, 2, 11, 6);
        INDArray mask = Nd4j.ones(DataType.DOUBLE, 2, 11);
        mask.putScalar(0, 4, 0.0);
        for (int t = 7; t < 11; t++) {
            mask.putScalar(1, t, 0.0);
        }
        MatrixMemoryState initial = MlstmInputs.randomState(52, 2, 2, 6);
        for (int chunk : new int[] {2, 4, 16}) {
            compare("masked, chunk " + chunk, in, mask, initial, chunk);
        }
    }

    @Test
    void matchesTheBatchedForwardAtSizesWhereOpenBlasThreadsTheProducts() {
        // DH 256, L 64: products large enough for OpenBLAS to thread them itself, called from Java threads.
        MlstmInputs in = MlstmInputs.random(61, 1, 3, 150, 256);
        compare("DH 256, chunk 64", in, null, null, 64);
        INDArray mask = Nd4j.ones(DataType.DOUBLE, 1, 150);
        for (int t = 100; t < 150; t++) {
            mask.putScalar(0, t, 0.0);
        }
        compare("DH 256, chunk 64, masked tail, with initial state", in, mask, MlstmInputs.randomState(62, 1, 3, 256), 64);
    }

    @Test
    void inferenceForwardGivesTheSameOutputsWithoutResiduals() {
        MlstmInputs doubles = MlstmInputs.random(71, 1, 2, 150, 256);
        INDArray mask = Nd4j.ones(DataType.DOUBLE, 1, 150);
        mask.putScalar(0, 149, 0.0);
        MatrixMemoryState initial = MlstmInputs.randomState(72, 1, 2, 256);
        for (MlstmInputs in : new MlstmInputs[] {doubles, doubles.castTo(DataType.FLOAT)}) {
            DataType type = in.q.dataType();
            INDArray m = mask.castTo(type);
            MatrixMemoryState s = new MatrixMemoryState(initial.c.castTo(type), initial.n.castTo(type),
                    initial.m.castTo(type));
            MatrixMemoryForward full = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, m, s, 64);
            MatrixMemoryForward inference = KERNEL.inferenceForward(in.q, in.k, in.v, in.igate, in.fgate, m, s, 64);
            assertEquals(full.h, inference.h, type + " h");
            assertEquals(full.finalState.c, inference.finalState.c, type + " final C");
            assertEquals(full.finalState.n, inference.finalState.n, type + " final n");
            assertEquals(full.finalState.m, inference.finalState.m, type + " final m");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> KERNEL.backward(inference, Nd4j.zeros(type, in.q.shape())));
            assertTrue(e.getMessage().contains("inference forward"), e.getMessage());
        }
    }

    /** The host backward's final-state gradient: a sequence cut in two pieces and chained has the whole one's gradients. */
    @Test
    void finalStateGradientChainsPieces() {
        assertTrue(KERNEL.acceptsFinalStateGradient());
        for (int split : new int[] {12, 10}) {
            for (boolean masked : new boolean[] {false, true}) {
                double error = PiecewiseBackward.error(KERNEL, DataType.FLOAT, split, true, masked);
                assertTrue(error < RELATIVE, "split " + split + ", masked " + masked + ": relative error " + error);
            }
            double truncated = PiecewiseBackward.error(KERNEL, DataType.FLOAT, split, false, false);
            assertTrue(truncated > 1e-3, "split " + split + " without the final-state gradient: " + truncated);
        }
    }

    private static void compare(String what, MlstmInputs in, INDArray mask, MatrixMemoryState initial, int chunk) {
        MatrixMemoryForward reference = REFERENCE.forward(in.q, in.k, in.v, in.igate, in.fgate, mask, initial, chunk);
        MlstmInputs f = in.castTo(DataType.FLOAT);
        MatrixMemoryState floatInitial = initial == null ? null : new MatrixMemoryState(
                initial.c.castTo(DataType.FLOAT), initial.n.castTo(DataType.FLOAT), initial.m.castTo(DataType.FLOAT));
        MatrixMemoryForward host = KERNEL.forward(f.q, f.k, f.v, f.igate, f.fgate,
                mask == null ? null : mask.castTo(DataType.FLOAT), floatInitial, chunk);
        assertEquals(DataType.FLOAT, host.h.dataType());
        near(what + " h", reference.h, host.h);
        near(what + " final C", reference.finalState.c, host.finalState.c);
        near(what + " final n", reference.finalState.n, host.finalState.n);
        near(what + " final m", reference.finalState.m, host.finalState.m);

        ChunkwiseResiduals r = (ChunkwiseResiduals) reference.residuals;
        ChunkwiseResiduals hr = (ChunkwiseResiduals) host.residuals;
        near(what + " stabilizer", r.stabilizer, hr.stabilizer);
        near(what + " state weight", r.stateWeight, hr.stateWeight);
        near(what + " denominator", r.denominator, hr.denominator);
        near(what + " chunk C", r.chunkC, hr.chunkC);
        near(what + " chunk n", r.chunkN, hr.chunkN);
        near(what + " chunk m", r.chunkM, hr.chunkM);
        near(what + " end m", r.endM, hr.endM);

        INDArray dh = Nd4j.randn(DataType.DOUBLE, in.q.shape());
        MatrixMemoryGradients g = REFERENCE.backward(reference, dh);
        MatrixMemoryGradients hg = KERNEL.backward(host, dh.castTo(DataType.FLOAT));
        near(what + " dq", g.dq, hg.dq);
        near(what + " dk", g.dk, hg.dk);
        near(what + " dv", g.dv, hg.dv);
        near(what + " dIgate", g.dIgate, hg.dIgate);
        near(what + " dFgate", g.dFgate, hg.dFgate);
    }

    private static void near(String what, INDArray expected, INDArray actual) {
        assertTrue(java.util.Arrays.equals(expected.shape(), actual.shape()), what + ": shape");
        double tolerance = RELATIVE * Math.max(1.0, MlstmInputs.maxAbs(expected));
        double diff = MlstmInputs.maxAbsDiff(expected, actual);
        assertTrue(diff <= tolerance, what + ": max |diff| = " + diff + " > " + tolerance);
    }
}
