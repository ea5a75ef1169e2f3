package org.xlstm.dl4j.kernel.portable;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.kernel.ScalarMemoryForward;
import org.xlstm.dl4j.kernel.ScalarMemoryState;
import org.xlstm.dl4j.kernel.ScalarMemoryStep;

/** The sequence form against the step form, and splitting a sequence into calls that carry the state. */
class PortableScalarMemoryStepTest {
    private static final double TOL = 1e-13;
    private final PortableScalarMemoryKernel kernel = new PortableScalarMemoryKernel();

    @Test
    void sequenceEqualsStepLoop() {
        ScalarMemoryTestData data = new ScalarMemoryTestData(21, 3, 8, 2, 4);
        INDArray preact = data.preact(DataType.DOUBLE);
        INDArray r = data.recurrent(DataType.DOUBLE);
        ScalarMemoryForward sequence = kernel.forward(preact, r, null, null);
        ScalarMemoryState state = null;
        for (int t = 0; t < 8; t++) {
            ScalarMemoryStep step = kernel.step(preact.get(all(), point(t), all(), all(), all()), r, null, state);
            assertClose(sequence.h.get(all(), point(t), all()), step.h);
            state = step.state;
        }
        assertStateClose(sequence.finalState, state);
    }

    @Test
    void twoCallsEqualOneCallWithAndWithoutInitialState() {
        ScalarMemoryTestData data = new ScalarMemoryTestData(22, 2, 10, 3, 3);
        INDArray preact = data.preact(DataType.DOUBLE);
        INDArray r = data.recurrent(DataType.DOUBLE);
        for (ScalarMemoryState initial : new ScalarMemoryState[] {null, data.initial(DataType.DOUBLE)}) {
            ScalarMemoryForward whole = kernel.forward(preact, r, null, initial);
            ScalarMemoryForward head = kernel.forward(
                    preact.get(all(), interval(0, 4), all(), all(), all()).dup(), r, null, initial);
            ScalarMemoryForward tail = kernel.forward(
                    preact.get(all(), interval(4, 10), all(), all(), all()).dup(), r, null, head.finalState);
            assertClose(whole.h.get(all(), interval(0, 4), all()), head.h);
            assertClose(whole.h.get(all(), interval(4, 10), all()), tail.h);
            assertStateClose(whole.finalState, tail.finalState);
        }
    }

    @Test
    void maskedStepKeepsTheStateAndOutputsZero() {
        ScalarMemoryTestData data = new ScalarMemoryTestData(23, 2, 1, 2, 3);
        INDArray r = data.recurrent(DataType.DOUBLE);
        ScalarMemoryState initial = data.initial(DataType.DOUBLE);
        INDArray preact = data.preact(DataType.DOUBLE).get(all(), point(0), all(), all(), all());
        ScalarMemoryStep masked = kernel.step(preact, r, ScalarMemoryTestData.matrix(new double[][] {{0, 1}},
                DataType.DOUBLE).reshape(2), initial);
        ScalarMemoryStep plain = kernel.step(preact, r, null, initial);
        assertClose(initial.c.getRow(0), masked.state.c.getRow(0));
        assertClose(initial.n.getRow(0), masked.state.n.getRow(0));
        assertClose(initial.m.getRow(0), masked.state.m.getRow(0));
        assertClose(initial.h.getRow(0), masked.state.h.getRow(0));
        assertClose(initial.h.getRow(0).mul(0), masked.h.getRow(0));
        assertClose(plain.h.getRow(1), masked.h.getRow(1));
        assertClose(plain.state.c.getRow(1), masked.state.c.getRow(1));
    }

    private static void assertStateClose(ScalarMemoryState expected, ScalarMemoryState actual) {
        assertClose(expected.h, actual.h);
        assertClose(expected.c, actual.c);
        assertClose(expected.n, actual.n);
        assertClose(expected.m, actual.m);
    }

    private static void assertClose(INDArray expected, INDArray actual) {
        double diff = ScalarMemoryTestData.maxAbsDiff(expected, actual);
        assertTrue(diff <= TOL, "max |difference| " + diff);
    }
}
