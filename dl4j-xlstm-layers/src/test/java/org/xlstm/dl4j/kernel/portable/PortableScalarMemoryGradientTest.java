package org.xlstm.dl4j.kernel.portable;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.kernel.ScalarMemoryGradients;
import org.xlstm.dl4j.kernel.ScalarMemoryState;

/** BPTT against central finite differences of L = sum(h * W) in DOUBLE. */
class PortableScalarMemoryGradientTest {
    private static final int B = 2, T = 6, NH = 2, DH = 3;
    private static final double EPS = 1e-6;
    private final PortableScalarMemoryKernel kernel = PortableScalarMemoryKernel.INSTANCE;

    @Test
    void gradientsFromZeroState() {
        check(new ScalarMemoryTestData(11, B, T, NH, DH), false, null);
    }

    @Test
    void gradientsFromGivenState() {
        check(new ScalarMemoryTestData(12, B, T, NH, DH), true, null);
    }

    @Test
    void gradientsWithLeadingInnerAndTrailingPadding() {
        INDArray mask = ScalarMemoryTestData.matrix(new double[][] {{0, 0, 1, 1, 1, 1}, {1, 1, 0, 1, 0, 0}},
                DataType.DOUBLE);
        check(new ScalarMemoryTestData(13, B, T, NH, DH), true, mask);
    }

    private void check(ScalarMemoryTestData data, boolean withInitial, INDArray mask) {
        INDArray preact = data.preact(DataType.DOUBLE);
        INDArray r = data.recurrent(DataType.DOUBLE);
        ScalarMemoryState init = withInitial ? data.initial(DataType.DOUBLE) : null;
        INDArray w = ScalarMemoryTestData.random(99, DataType.DOUBLE, B, T, NH * DH);
        Supplier<Double> loss = () -> kernel.forward(preact, r, mask, init).h.mul(w).sumNumber().doubleValue();
        ScalarMemoryGradients g = kernel.backward(kernel.forward(preact, r, mask, init), w);

        // every 5th entry (coprime to the 4 gates and 3 units) keeps the class fast yet reaches every gate
        assertMatches("dPreact", g.dPreact, preact, loss, 5);
        assertMatches("dRecurrent", g.dRecurrent, r, loss, 1);
        if (withInitial) {
            assertNotNull(g.dInitial);
            assertMatches("dInitial.h", g.dInitial.h, init.h, loss, 1);
            assertMatches("dInitial.c", g.dInitial.c, init.c, loss, 1);
            assertMatches("dInitial.n", g.dInitial.n, init.n, loss, 1);
            assertMatches("dInitial.m", g.dInitial.m, init.m, loss, 1);
        } else {
            assertNull(g.dInitial);
        }
    }

    /**
     * Perturbs every {@code stride}-th entry of {@code param} in place; the error is relative to the largest
     * gradient.
     */
    private static void assertMatches(String name, INDArray analytic, INDArray param, Supplier<Double> loss,
            int stride) {
        INDArray numeric = analytic.dup();
        for (long i = 0; i < param.length(); i += stride) {
            double v = param.getDouble(i);
            param.putScalar(i, v + EPS);
            double up = loss.get();
            param.putScalar(i, v - EPS);
            double down = loss.get();
            param.putScalar(i, v);
            numeric.putScalar(i, (up - down) / (2 * EPS));
        }
        double scale = Math.max(numeric.amaxNumber().doubleValue(), 1e-3);
        double error = ScalarMemoryTestData.maxAbsDiff(analytic, numeric) / scale;
        assertTrue(error <= 1e-6, name + ": relative error " + error + " (scale " + scale + ")");
    }
}
