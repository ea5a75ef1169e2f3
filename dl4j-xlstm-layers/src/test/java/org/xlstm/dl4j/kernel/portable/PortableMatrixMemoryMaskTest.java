package org.xlstm.dl4j.kernel.portable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;
import static org.xlstm.dl4j.kernel.portable.PortableMatrixMemoryFormsTest.assertClose;
import static org.xlstm.dl4j.kernel.portable.PortableMatrixMemoryFormsTest.assertStateClose;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.MatrixMemoryStep;

/** Masked steps keep the state, output zeros and receive no gradient; padding is invisible. */
class PortableMatrixMemoryMaskTest {
    private static final PortableMatrixMemoryKernel KERNEL = PortableMatrixMemoryKernel.INSTANCE;
    private static final double EXACT = 1e-10;

    @Test
    void maskedStepKeepsStateAndOutputsZero() {
        MlstmInputs in = MlstmInputs.random(31, 2, 2, 1, 4);
        MatrixMemoryState state = MlstmInputs.randomState(32, 2, 2, 4);
        MatrixMemoryStep step = KERNEL.step(
                in.q.reshape(2, 2, 4), in.k.reshape(2, 2, 4), in.v.reshape(2, 2, 4),
                in.igate.reshape(2, 2), in.fgate.reshape(2, 2), Nd4j.createFromArray(1.0, 0.0), state);
        assertEquals(state.c.get(point(1)), step.state.c.get(point(1)));
        assertEquals(state.n.get(point(1)), step.state.n.get(point(1)));
        assertEquals(state.m.get(point(1)), step.state.m.get(point(1)));
        assertEquals(Nd4j.zeros(DataType.DOUBLE, 2, 4), step.h.get(point(1)));
        assertClose("unmasked row", in.stepLoop(KERNEL, null, state).h.get(point(0)).reshape(2, 4),
                step.h.get(point(0)), EXACT);

        MatrixMemoryForward sequence = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate,
                Nd4j.createFromArray(new double[][] {{1.0}, {0.0}}), state, 4);
        assertClose("sequence h", step.h, sequence.h.reshape(2, 2, 4), EXACT);
        assertStateClose("sequence state", step.state, sequence.finalState, EXACT);
    }

    @Test
    void maskedMiddleStepEqualsDroppingIt() {
        MlstmInputs in = MlstmInputs.random(33, 1, 2, 8, 3);
        INDArray mask = Nd4j.ones(DataType.DOUBLE, 1, 8);
        mask.putScalar(0, 3, 0.0);
        INDArray dh = Nd4j.randn(DataType.DOUBLE, 1, 2, 8, 3);
        MatrixMemoryForward masked = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, mask, null, 3);
        MatrixMemoryGradients gMasked = KERNEL.backward(masked, dh);

        long[] kept = {0, 1, 2, 4, 5, 6, 7};
        MlstmInputs dropped = new MlstmInputs(take(in.q, kept), take(in.k, kept), take(in.v, kept),
                take(in.igate, kept), take(in.fgate, kept));
        MatrixMemoryForward plain = KERNEL.forward(dropped.q, dropped.k, dropped.v, dropped.igate, dropped.fgate,
                null, null, 3);
        MatrixMemoryGradients gPlain = KERNEL.backward(plain, take(dh, kept));

        assertClose("h", plain.h, take(masked.h, kept), EXACT);
        assertClose("masked h", Nd4j.zeros(DataType.DOUBLE, 1, 2, 3), masked.h.get(all(), all(), point(3), all()), 0);
        assertStateClose("final state", plain.finalState, masked.finalState, EXACT);
        assertGradientsMatch(gPlain, gMasked, kept);
        MatrixMemoryStep steps = in.stepLoop(KERNEL, mask, null);
        assertClose("step h", masked.h, steps.h, EXACT);
        assertStateClose("step state", masked.finalState, steps.state, EXACT);
    }

    /**
     * Row 0 holds a 5-step sequence at steps 2..6 of 9 with garbage around it; row 1 is a full 9-step
     * sequence. Chunk 2 makes the first chunk of row 0 entirely masked.
     */
    @Test
    void paddingAtStartAndEndIsInvisible() {
        for (int chunk : new int[] {2, 4, 9}) {
            MlstmInputs in = MlstmInputs.random(34, 2, 2, 9, 3);
            MatrixMemoryState initial = MlstmInputs.randomState(35, 2, 2, 3);
            INDArray dh = Nd4j.randn(DataType.DOUBLE, 2, 2, 9, 3);
            INDArray mask = Nd4j.ones(DataType.DOUBLE, 2, 9);
            for (int t : new int[] {0, 1, 7, 8}) {
                mask.putScalar(0, t, 0.0);
            }
            MatrixMemoryForward padded = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, mask, initial, chunk);
            MatrixMemoryGradients gPadded = KERNEL.backward(padded, dh);

            long[] real = {2, 3, 4, 5, 6};
            MlstmInputs row0 = row(in, 0);
            MlstmInputs alone = new MlstmInputs(take(row0.q, real), take(row0.k, real), take(row0.v, real),
                    take(row0.igate, real), take(row0.fgate, real));
            MatrixMemoryForward plain = KERNEL.forward(alone.q, alone.k, alone.v, alone.igate, alone.fgate, null,
                    row(initial, 0), chunk);
            MatrixMemoryGradients gPlain = KERNEL.backward(plain, take(row(dh, 0), real));

            String at = " (chunk " + chunk + ")";
            INDArray h0 = row(padded.h, 0);
            assertClose("row 0 h" + at, plain.h, take(h0, real), EXACT);
            assertClose("row 0 padding h" + at, Nd4j.zeros(DataType.DOUBLE, 1, 2, 4, 3), take(h0, 0, 1, 7, 8), 0);
            assertStateClose("row 0 state" + at, plain.finalState, row(padded.finalState, 0), EXACT);
            assertGradientsMatch(gPlain, rowGradients(gPadded, 0), real);
            assertStateClose("row 0 dInitial" + at, gPlain.dInitial, row(gPadded.dInitial, 0), EXACT);

            MlstmInputs row1 = row(in, 1);
            MatrixMemoryForward full = KERNEL.forward(row1.q, row1.k, row1.v, row1.igate, row1.fgate, null,
                    row(initial, 1), chunk);
            MatrixMemoryGradients gFull = KERNEL.backward(full, row(dh, 1));
            assertClose("row 1 h" + at, full.h, row(padded.h, 1), EXACT);
            assertGradientsMatch(gFull, rowGradients(gPadded, 1), new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8});
        }
    }

    /** Gradients of the unpadded run equal the padded run's at the real steps and vanish elsewhere. */
    private static void assertGradientsMatch(MatrixMemoryGradients plain, MatrixMemoryGradients padded, long[] real) {
        assertClose("dq", plain.dq, take(padded.dq, real), EXACT);
        assertClose("dk", plain.dk, take(padded.dk, real), EXACT);
        assertClose("dv", plain.dv, take(padded.dv, real), EXACT);
        assertClose("dIgate", plain.dIgate, take(padded.dIgate, real), EXACT);
        assertClose("dFgate", plain.dFgate, take(padded.dFgate, real), EXACT);
        for (INDArray g : new INDArray[] {padded.dq, padded.dk, padded.dv, padded.dIgate, padded.dFgate}) {
            INDArray outside = g.dup();
            for (long t : real) {
                outside.get(timeIndex(g.rank(), t)).assign(0);
            }
            assertClose("gradient outside the real steps", Nd4j.zerosLike(outside), outside, 0);
        }
    }

    private static INDArrayIndex[] timeIndex(int rank, long t) {
        INDArrayIndex[] index = new INDArrayIndex[rank];
        for (int d = 0; d < rank; d++) {
            index[d] = d == 2 ? point(t) : all();
        }
        return index;
    }

    /** The given steps (dimension 2) in order. */
    private static INDArray take(INDArray x, long... steps) {
        INDArray[] parts = new INDArray[steps.length];
        for (int i = 0; i < steps.length; i++) {
            INDArrayIndex[] index = timeIndex(x.rank(), 0);
            index[2] = interval(steps[i], steps[i] + 1);
            parts[i] = x.get(index);
        }
        return Nd4j.concat(2, parts);
    }

    private static INDArray row(INDArray x, int b) {
        INDArrayIndex[] index = new INDArrayIndex[x.rank()];
        for (int d = 0; d < x.rank(); d++) {
            index[d] = d == 0 ? interval(b, b + 1) : all();
        }
        return x.get(index).dup();
    }

    private static MlstmInputs row(MlstmInputs in, int b) {
        return new MlstmInputs(row(in.q, b), row(in.k, b), row(in.v, b), row(in.igate, b), row(in.fgate, b));
    }

    private static MatrixMemoryState row(MatrixMemoryState s, int b) {
        return new MatrixMemoryState(row(s.c, b), row(s.n, b), row(s.m, b));
    }

    private static MatrixMemoryGradients rowGradients(MatrixMemoryGradients g, int b) {
        return new MatrixMemoryGradients(row(g.dq, b), row(g.dk, b), row(g.dv, b), row(g.dIgate, b),
                row(g.dFgate, b), g.dInitial == null ? null : row(g.dInitial, b));
    }
}
