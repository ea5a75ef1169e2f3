package org.xlstm.dl4j.backend.cpu.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.ScalarMemoryForward;
import org.xlstm.dl4j.kernel.ScalarMemoryState;
import org.xlstm.dl4j.kernel.portable.PortableScalarMemoryKernel;

/**
 * The host recurrence of the sLSTM inference forward against the general kernel computed in float64: hidden
 * states and final state, for a padded minibatch (rows padded at the start, the end, both, neither), from a
 * zero state and from a given one in which some units have seen nothing yet (n = 0).
 */
class ScalarMemorySequenceTest {
    private static final int T = 40, NH = 2, DH = 4;
    /** The real steps [from, to) of each row. */
    private static final int[][] REAL = {{0, 40}, {7, 40}, {0, 25}, {5, 31}};
    private static final double TOLERANCE = 1e-5;

    @Test
    void paddedBatchFromZeroState() {
        check(false);
    }

    @Test
    void paddedBatchFromGivenState() {
        check(true);
    }

    private static void check(boolean withInitial) {
        int batch = REAL.length;
        Nd4j.getRandom().setSeed(7);
        INDArray preact = Nd4j.rand(DataType.DOUBLE, batch, T, NH, 4, DH).muli(4).subi(2);
        INDArray r = Nd4j.rand(DataType.DOUBLE, NH, DH, 4, DH).subi(0.5);
        INDArray mask = Nd4j.zeros(DataType.DOUBLE, batch, T);
        for (int b = 0; b < batch; b++) {
            mask.get(point(b), interval(REAL[b][0], REAL[b][1])).assign(1);
        }
        ScalarMemoryState initial = withInitial ? initialState(batch) : null;

        ScalarMemoryForward expected = PortableScalarMemoryKernel.INSTANCE.forward(preact, r, mask, initial);
        ScalarMemoryForward actual = ScalarMemorySequence.forward(preact.castTo(DataType.FLOAT),
                r.castTo(DataType.FLOAT), mask.castTo(DataType.FLOAT),
                initial == null ? null : initial.castTo(DataType.FLOAT));

        assertNull(actual.residuals, "an inference forward keeps nothing for backward");
        assertClose("h", expected.h, actual.h);
        assertClose("final h", expected.finalState.h, actual.finalState.h);
        assertClose("final c", expected.finalState.c, actual.finalState.c);
        assertClose("final n", expected.finalState.n, actual.finalState.n);
        assertClose("final m", expected.finalState.m, actual.finalState.m);
    }

    /** Random state with the units of head 0 in row 1 fresh (c = n = 0), as the cell leaves unseen units. */
    private static ScalarMemoryState initialState(int batch) {
        INDArray h = Nd4j.rand(DataType.DOUBLE, batch, NH * DH).subi(0.5);
        INDArray c = Nd4j.rand(DataType.DOUBLE, batch, NH * DH).subi(0.5);
        INDArray n = Nd4j.rand(DataType.DOUBLE, batch, NH * DH).addi(0.5);
        INDArray m = Nd4j.rand(DataType.DOUBLE, batch, NH * DH).subi(0.5);
        for (INDArray unseen : new INDArray[] {c, n, m}) {
            unseen.get(point(1), interval(0, DH)).assign(0);
        }
        return new ScalarMemoryState(h, c, n, m);
    }

    private static void assertClose(String what, INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double difference = expected.sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(difference <= TOLERANCE, what + ": differs from the general kernel by up to " + difference);
    }
}
