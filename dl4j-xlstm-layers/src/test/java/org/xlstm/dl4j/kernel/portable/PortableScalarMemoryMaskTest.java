package org.xlstm.dl4j.kernel.portable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.ScalarMemoryForward;
import org.xlstm.dl4j.kernel.ScalarMemoryGradients;
import org.xlstm.dl4j.kernel.ScalarMemoryState;

/**
 * A padded minibatch against each row run alone on its real steps: row 0 is unpadded, row 1 padded at the
 * start, row 2 at the end, row 3 at both ends.
 */
class PortableScalarMemoryMaskTest {
    private static final int T = 9, NH = 2, DH = 3;
    private static final int[][] REAL = {{0, 9}, {3, 9}, {0, 5}, {2, 7}};
    private static final double TOL = 1e-12;
    private final PortableScalarMemoryKernel kernel = PortableScalarMemoryKernel.INSTANCE;

    @Test
    void paddedRowsMatchRowsAloneFromZeroState() {
        check(false);
    }

    @Test
    void paddedRowsMatchRowsAloneFromGivenState() {
        check(true);
    }

    private void check(boolean withInitial) {
        int batch = REAL.length;
        ScalarMemoryTestData data = new ScalarMemoryTestData(31, batch, T, NH, DH);
        INDArray preact = data.preact(DataType.DOUBLE);
        INDArray r = data.recurrent(DataType.DOUBLE);
        ScalarMemoryState initial = withInitial ? data.initial(DataType.DOUBLE) : null;
        INDArray mask = Nd4j.zeros(DataType.DOUBLE, batch, T);
        for (int b = 0; b < batch; b++) {
            mask.get(point(b), interval(REAL[b][0], REAL[b][1])).assign(1);
        }
        INDArray dh = ScalarMemoryTestData.random(32, DataType.DOUBLE, batch, T, NH * DH);
        ScalarMemoryForward padded = kernel.forward(preact, r, mask, initial);
        ScalarMemoryGradients grads = kernel.backward(padded, dh);

        INDArray dRecurrentSum = Nd4j.zeros(DataType.DOUBLE, NH, DH, 4, DH);
        for (int b = 0; b < batch; b++) {
            int from = REAL[b][0], to = REAL[b][1];
            INDArray rowPreact = preact.get(interval(b, b + 1), interval(from, to), all(), all(), all()).dup();
            ScalarMemoryState rowInitial = withInitial ? row(initial, b) : null;
            ScalarMemoryForward alone = kernel.forward(rowPreact, r, null, rowInitial);
            ScalarMemoryGradients aloneGrads = kernel.backward(alone,
                    dh.get(interval(b, b + 1), interval(from, to), all()).dup());
            dRecurrentSum.addi(aloneGrads.dRecurrent);

            assertClose(alone.h, padded.h.get(interval(b, b + 1), interval(from, to), all()));
            assertClose(aloneGrads.dPreact,
                    grads.dPreact.get(interval(b, b + 1), interval(from, to), all(), all(), all()));
            for (int t = 0; t < T; t++) {
                if (t < from || t >= to) {
                    assertEquals(0.0, padded.h.get(point(b), point(t), all()).amaxNumber().doubleValue());
                    assertEquals(0.0, grads.dPreact.get(point(b), point(t), all(), all(), all())
                            .amaxNumber().doubleValue());
                }
            }
            // the state after the last real step survives the trailing padding
            assertClose(alone.finalState.h, padded.finalState.h.getRow(b, true));
            assertClose(alone.finalState.c, padded.finalState.c.getRow(b, true));
            assertClose(alone.finalState.n, padded.finalState.n.getRow(b, true));
            assertClose(alone.finalState.m, padded.finalState.m.getRow(b, true));
            if (withInitial) {
                assertClose(aloneGrads.dInitial.h, grads.dInitial.h.getRow(b, true));
                assertClose(aloneGrads.dInitial.c, grads.dInitial.c.getRow(b, true));
                assertClose(aloneGrads.dInitial.n, grads.dInitial.n.getRow(b, true));
                assertClose(aloneGrads.dInitial.m, grads.dInitial.m.getRow(b, true));
            }
        }
        assertClose(dRecurrentSum, grads.dRecurrent);
    }

    private static ScalarMemoryState row(ScalarMemoryState s, int b) {
        return new ScalarMemoryState(s.h.getRow(b, true).dup(), s.c.getRow(b, true).dup(), s.n.getRow(b, true).dup(),
                s.m.getRow(b, true).dup());
    }

    private static void assertClose(INDArray expected, INDArray actual) {
        double diff = ScalarMemoryTestData.maxAbsDiff(expected, actual);
        assertTrue(diff <= TOL, "max |difference| " + diff);
    }
}
