package org.xlstm.dl4j.kernel.portable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.MatrixMemoryStep;

/**
 * The chunkwise, step and parallel forms agree. Chunkwise and step compute the same stabilizer, so they
 * agree to rounding (1e-10 here); the parallel form's stabilizer lacks the zero initial state's term,
 * which moves h through the floor exp(-m) and the eps added to the normalizer, hence the conformance
 * tolerance (1e-5) for it.
 */
class PortableMatrixMemoryFormsTest {
    private static final PortableMatrixMemoryKernel KERNEL = PortableMatrixMemoryKernel.INSTANCE;
    private static final double EXACT = 1e-10;

    @Test
    void everyChunkSizeMatchesStepLoopAndParallelForm() {
        MlstmInputs in = MlstmInputs.random(11, 2, 3, 13, 4);
        MatrixMemoryStep steps = in.stepLoop(KERNEL, null, null);
        INDArray parallel = ParallelMatrixMemory.forward(in.q, in.k, in.v, in.igate, in.fgate);
        assertClose("parallel h vs step", steps.h, parallel, 1e-5);
        for (int chunk = 1; chunk <= 14; chunk++) {
            MatrixMemoryForward out = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, null, null, chunk);
            assertClose("h, chunk " + chunk, steps.h, out.h, EXACT);
            assertStateClose("chunk " + chunk, steps.state, out.finalState, EXACT);
        }
    }

    @Test
    void singleStepSequence() {
        MlstmInputs in = MlstmInputs.random(12, 2, 2, 1, 5);
        MatrixMemoryStep steps = in.stepLoop(KERNEL, null, null);
        MatrixMemoryForward out = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, null, null, 64);
        assertClose("h", steps.h, out.h, EXACT);
        assertStateClose("T=1", steps.state, out.finalState, EXACT);
        assertClose("parallel h", steps.h,
                ParallelMatrixMemory.forward(in.q, in.k, in.v, in.igate, in.fgate), 1e-5);
    }

    @Test
    void continuingFromAFinalStateEqualsOneCall() {
        MlstmInputs in = MlstmInputs.random(13, 2, 2, 17, 4);
        MatrixMemoryForward whole = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, null, null, 4);
        MlstmInputs first = in.steps(0, 7);
        MlstmInputs second = in.steps(7, 17);
        MatrixMemoryForward head = KERNEL.forward(first.q, first.k, first.v, first.igate, first.fgate, null, null, 4);
        MatrixMemoryForward tail = KERNEL.forward(second.q, second.k, second.v, second.igate, second.fgate, null,
                head.finalState, 4);
        assertClose("first half", whole.h.get(all(), all(), interval(0, 7), all()), head.h, EXACT);
        assertClose("second half", whole.h.get(all(), all(), interval(7, 17), all()), tail.h, EXACT);
        assertStateClose("continued", whole.finalState, tail.finalState, EXACT);

        MatrixMemoryStep stepTail = second.stepLoop(KERNEL, null, head.finalState);
        assertClose("step continuation", tail.h, stepTail.h, EXACT);
    }

    @Test
    void floatAndHalfInputsKeepTheirTypeAndFollowDouble() {
        MlstmInputs in = MlstmInputs.random(14, 2, 2, 9, 8);
        MatrixMemoryForward reference = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, null, null, 4);
        double scale = Math.max(1.0, MlstmInputs.maxAbs(reference.h));
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.HALF, DataType.BFLOAT16}) {
            MlstmInputs cast = in.castTo(type);
            MatrixMemoryForward out = KERNEL.forward(cast.q, cast.k, cast.v, cast.igate, cast.fgate, null, null, 4);
            assertEquals(type, out.h.dataType());
            assertEquals(type, out.finalState.c.dataType());
            // Rounding the inputs to the type dominates: ~1e-7 (FLOAT), ~1e-3 (HALF), ~1e-2 (BFLOAT16) relative.
            double tolerance = type == DataType.FLOAT ? 1e-5 : type == DataType.HALF ? 2e-2 : 1e-1;
            assertClose(type + " h", reference.h, out.h, tolerance * scale);
            MatrixMemoryStep step = KERNEL.step(cast.q.get(all(), all(), interval(0, 1), all()).reshape(2, 2, 8),
                    cast.k.get(all(), all(), interval(0, 1), all()).reshape(2, 2, 8),
                    cast.v.get(all(), all(), interval(0, 1), all()).reshape(2, 2, 8),
                    cast.igate.get(all(), all(), interval(0, 1)).reshape(2, 2),
                    cast.fgate.get(all(), all(), interval(0, 1)).reshape(2, 2), null, null);
            assertEquals(type, step.h.dataType());
            assertEquals(type, step.state.m.dataType());
        }
    }

    @Test
    void badArgumentsAreNamed() {
        MlstmInputs in = MlstmInputs.random(15, 2, 2, 5, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KERNEL.forward(
                in.q, in.k.reshape(2, 2, 4, 5), in.v, in.igate, in.fgate, null, null, 4));
        assertTrue(e.getMessage().startsWith("k: expected shape [2, 2, 5, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KERNEL.forward(
                in.q, in.k, in.v, in.igate.reshape(2, 2, 5, 1), in.fgate, null, null, 4));
        assertTrue(e.getMessage().startsWith("igate: expected shape [2, 2, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KERNEL.forward(
                in.q, in.k, in.v, in.igate, in.fgate, Nd4j.ones(2, 4), null, 4));
        assertTrue(e.getMessage().startsWith("mask: expected shape [2, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KERNEL.forward(
                in.q, in.k, in.v, in.igate, in.fgate, null, MatrixMemoryState.zeros(DataType.DOUBLE, 2, 2, 3), 4));
        assertTrue(e.getMessage().startsWith("state.c: expected shape [2, 2, 4, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KERNEL.forward(
                in.q, in.k.castTo(DataType.FLOAT), in.v, in.igate, in.fgate, null, null, 4));
        assertTrue(e.getMessage().startsWith("k: expected data type DOUBLE"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KERNEL.forward(
                in.q, in.k, in.v, in.igate, in.fgate, null, null, 0));
        assertTrue(e.getMessage().startsWith("chunkSize"), e.getMessage());
        MatrixMemoryForward out = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, null, null, 4);
        e = assertThrows(IllegalArgumentException.class, () -> KERNEL.backward(out, in.q.reshape(2, 2, 4, 5)));
        assertTrue(e.getMessage().startsWith("dh: expected shape [2, 2, 5, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KERNEL.step(
                in.q, in.k, in.v, in.igate, in.fgate, null, null));
        assertTrue(e.getMessage().startsWith("q: expected rank 3"), e.getMessage());
    }

    static void assertClose(String what, INDArray expected, INDArray actual, double tolerance) {
        double diff = MlstmInputs.maxAbsDiff(expected, actual);
        assertTrue(diff <= tolerance, what + ": max |diff| = " + diff + " > " + tolerance);
    }

    static void assertStateClose(String what, MatrixMemoryState expected, MatrixMemoryState actual, double tol) {
        assertClose(what + " C", expected.c, actual.c, tol);
        assertClose(what + " n", expected.n, actual.n, tol);
        assertClose(what + " m", expected.m, actual.m, tol);
    }
}
