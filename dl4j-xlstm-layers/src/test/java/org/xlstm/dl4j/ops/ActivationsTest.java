package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xlstm.dl4j.ops.OpTestSupport.assertClose;
import static org.xlstm.dl4j.ops.OpTestSupport.assertGradient;
import static org.xlstm.dl4j.ops.OpTestSupport.randn;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

import org.xlstm.dl4j.backend.cpu.HostArrays;
import org.apache.commons.math3.special.Erf;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ActivationsTest {

    private static final double[] POINTS = {-40, -12, -5.5, -3, -1.7, -1, -0.3, -1e-4, 0, 2e-3, 0.5, 1, 2.2, 4, 9, 35};

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(15);
    }

    private static void assertElementwise(UnaryOperator<INDArray> op, DoubleUnaryOperator ref, double tol) {
        INDArray x = Nd4j.createFromArray(POINTS);
        INDArray y = op.apply(x);
        for (int i = 0; i < POINTS.length; i++) {
            double e = ref.applyAsDouble(POINTS[i]);
            assertEquals(e, y.getDouble(i), tol * Math.max(1, Math.abs(e)), "at x = " + POINTS[i]);
        }
    }

    private static double sigmoid(double v) {
        return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
    }

    @Test
    void forwardMatchesScalarReferences() {
        assertElementwise(Activations::sigmoid, ActivationsTest::sigmoid, 1e-12);
        assertElementwise(Activations::silu, v -> v * sigmoid(v), 1e-12);
        assertElementwise(Activations::gelu, v -> 0.5 * v * (1 + Erf.erf(v / Math.sqrt(2))), 1e-12);
        assertElementwise(Activations::logSigmoid, v -> Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v))), 1e-12);
    }

    @Test
    void erfIsAccurate() {
        INDArray x = Nd4j.createFromArray(POINTS).muli(0.25);
        INDArray gelu = Activations.gelu(x.mul(Math.sqrt(2)));
        for (int i = 0; i < POINTS.length; i++) {
            double v = x.getDouble(i);
            double ours = v == 0 ? 0 : gelu.getDouble(i) / (0.5 * v * Math.sqrt(2)) - 1;
            assertEquals(Erf.erf(v), ours, 1e-13, "erf(" + v + ")");
        }
    }

    @Test
    void logSigmoidStaysFiniteInLowPrecision() {
        INDArray x = Nd4j.createFromArray(-200f, -30f, 0f, 30f, 200f);
        INDArray y = Activations.logSigmoid(x);
        assertEquals(-200, y.getDouble(0), 1e-3);
        assertEquals(-30, y.getDouble(1), 1e-4);
        assertEquals(-Math.log(2), y.getDouble(2), 1e-6);
        assertEquals(0, y.getDouble(4), 1e-30);
        assertClose(y, Activations.logSigmoid(x.castTo(DataType.HALF)), 1e-3);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        INDArray x = randn(3, 5).muli(2);
        INDArray r = randn(3, 5);
        assertGradient("silu", () -> Activations.silu(x), r, x, Activations.siluBackward(x, r));
        assertGradient("gelu", () -> Activations.gelu(x), r, x, Activations.geluBackward(x, r));
    }

    @Test
    void lowerPrecisionAgreesWithDouble() {
        INDArray x = randn(4, 8).muli(3);
        INDArray r = randn(4, 8);
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.HALF}) {
            double tol = t == DataType.FLOAT ? 1e-6 : 5e-3;
            INDArray xt = x.castTo(t);
            assertClose(Activations.sigmoid(x), Activations.sigmoid(xt), tol);
            assertClose(Activations.silu(x), Activations.silu(xt), tol);
            assertClose(Activations.gelu(x), Activations.gelu(xt), tol);
            assertClose(Activations.logSigmoid(x), Activations.logSigmoid(xt), tol);
            assertClose(Activations.siluBackward(x, r), Activations.siluBackward(xt, r.castTo(t)), 2 * tol);
            assertClose(Activations.geluBackward(x, r), Activations.geluBackward(xt, r.castTo(t)), 2 * tol);
            assertTrue(Activations.gelu(xt).dataType() == t);
        }
    }

    @Test
    void inputsAreLeftUnchanged() {
        INDArray x = randn(2, 3);
        INDArray copy = x.dup();
        Activations.silu(x);
        Activations.gelu(x);
        Activations.logSigmoid(x);
        Activations.siluBackward(x, randn(2, 3));
        Activations.geluBackward(x, randn(2, 3));
        assertClose(copy, x, 0);
    }

    @Test
    void rejectsMismatchedShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Activations.siluBackward(randn(2, 3), randn(3, 2)));
        assertTrue(e.getMessage().contains("dy"), e.getMessage());
    }

    /**
     * Dense c-order float32 arrays take HostPointwise's fused loop; float64 takes the ND4J ops. Both must
     * agree for a single element, partial chunks, ranks other than 2, arrays long enough to run on several
     * threads, and the saturated tails of the sigmoid.
     */
    @Test
    void hostSiluAgreesWithTheGeneralPath() {
        long[][] shapes = {{1, 1}, {1, 7}, {3, 5}, {33, 1024}, {2, 3, 4097}, {300, 1001}};
        for (long[] shape : shapes) {
            INDArray x = randn(shape).muli(4);
            INDArray flat = x.reshape(x.length());
            double[] tails = {-120, -90, -30, 30, 90, 120};
            for (int i = 0; i < Math.min(tails.length, flat.length()); i++) {
                flat.putScalar(i * (flat.length() / tails.length), tails[i]);
            }
            INDArray r = randn(shape);
            INDArray xf = x.castTo(DataType.FLOAT);
            INDArray rf = r.castTo(DataType.FLOAT);
            INDArray xCopy = xf.dup();
            INDArray rCopy = rf.dup();
            assertTrue(HostArrays.usable(xf, rf), "the CPU backend test run must exercise the host path");
            INDArray y = Activations.silu(xf);
            assertEquals(DataType.FLOAT, y.dataType());
            assertClose(Activations.silu(x), y, 1e-6);
            assertClose(Activations.siluBackward(x, r), Activations.siluBackward(xf, rf), 2e-6);
            assertClose(xCopy, xf, 0);
            assertClose(rCopy, rf, 0);
        }
    }

    /** The runtime calls the activations inside ND4J workspaces; outputs must live there, as the ND4J ops' do. */
    @Test
    void hostOutputsAreAllocatedInTheCurrentWorkspace() {
        INDArray x = randn(4, 16).castTo(DataType.FLOAT);
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace("ActivationsTest")) {
            assertTrue(Activations.silu(x).isAttached());
            assertTrue(Activations.siluBackward(x, x).isAttached());
        }
    }
}
