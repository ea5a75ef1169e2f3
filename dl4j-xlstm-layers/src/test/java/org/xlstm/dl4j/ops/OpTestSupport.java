package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Random inputs, loop-reference comparison and central finite differences for the op tests. */
public final class OpTestSupport {

    /** Central-difference step: truncation ~h^2, rounding ~1e-16/h, both far below the 1e-6 bar. */
    private static final double H = 1e-5;
    /** Below this magnitude a gradient entry is compared absolutely (FD rounding noise is ~1e-10). */
    private static final double FLOOR = 1e-3;

    private OpTestSupport() {
    }

    static INDArray randn(long... shape) {
        return Nd4j.randn(DataType.DOUBLE, shape);
    }

    public static void assertClose(INDArray expected, INDArray actual, double tol) {
        assertArrayEquals(expected.shape(), actual.shape(), "shape");
        double scale = Math.max(1.0, expected.castTo(DataType.DOUBLE).amaxNumber().doubleValue());
        double err = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(err <= tol * scale, "max abs error " + err + " > " + tol + " * " + scale);
    }

    /**
     * Checks {@code analytic} against d(sum(f() * r))/d(param) by central differences, where f reads
     * {@code param} (perturbed in place and restored). The error of each entry is relative to its size,
     * floored at {@link #FLOOR}.
     */
    static void assertGradient(String name, Supplier<INDArray> f, INDArray r, INDArray param, INDArray analytic) {
        assertArrayEquals(param.shape(), analytic.shape(), name + " gradient shape");
        INDArray flat = param.reshape(param.length());
        INDArray grad = analytic.reshape(analytic.length());
        double worst = 0;
        for (long i = 0; i < flat.length(); i++) {
            double v = flat.getDouble(i);
            flat.putScalar(i, v + H);
            double plus = f.get().mul(r).sumNumber().doubleValue();
            flat.putScalar(i, v - H);
            double minus = f.get().mul(r).sumNumber().doubleValue();
            flat.putScalar(i, v);
            double numeric = (plus - minus) / (2 * H);
            double a = grad.getDouble(i);
            double rel = Math.abs(a - numeric) / Math.max(FLOOR, Math.max(Math.abs(a), Math.abs(numeric)));
            worst = Math.max(worst, rel);
        }
        assertTrue(worst <= 1e-6, name + ": worst relative gradient error " + worst);
    }
}
