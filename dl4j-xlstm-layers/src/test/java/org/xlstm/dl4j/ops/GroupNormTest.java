package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xlstm.dl4j.ops.OpTestSupport.assertClose;
import static org.xlstm.dl4j.ops.OpTestSupport.assertGradient;
import static org.xlstm.dl4j.ops.OpTestSupport.randn;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GroupNormTest {

    private static final double EPS = 1e-5;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(14);
    }

    private static INDArray reference(INDArray x, INDArray w, int groups) {
        int n = (int) x.size(0);
        int f = (int) x.size(1);
        int s = f / groups;
        INDArray y = Nd4j.create(DataType.DOUBLE, n, f);
        for (int r = 0; r < n; r++) {
            for (int g = 0; g < groups; g++) {
                double mean = 0;
                for (int i = 0; i < s; i++) {
                    mean += x.getDouble(r, g * s + i);
                }
                mean /= s;
                double var = 0;
                for (int i = 0; i < s; i++) {
                    double d = x.getDouble(r, g * s + i) - mean;
                    var += d * d;
                }
                var /= s;
                for (int i = 0; i < s; i++) {
                    int c = g * s + i;
                    y.putScalar(r, c, (x.getDouble(r, c) - mean) / Math.sqrt(var + EPS) * (1 + w.getDouble(0, c)));
                }
            }
        }
        return y;
    }

    @Test
    void forwardMatchesLoops() {
        INDArray x = randn(4, 12).muli(3).addi(1);
        INDArray w = randn(1, 12).muli(0.1);
        for (int groups : new int[] {1, 3, 4}) {
            assertClose(reference(x, w, groups), GroupNorm.forward(x, w, groups, EPS), 1e-12);
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        for (int groups : new int[] {1, 2}) {
            INDArray x = randn(3, 8);
            INDArray w = randn(1, 8).muli(0.3);
            INDArray r = randn(3, 8);
            INDArray dW = Nd4j.rand(DataType.DOUBLE, 1, 8);
            INDArray dx = GroupNorm.backward(x, w, groups, EPS, r, dW);
            assertGradient("x", () -> GroupNorm.forward(x, w, groups, EPS), r, x, dx);
            assertGradient("w", () -> GroupNorm.forward(x, w, groups, EPS), r, w, dW);
        }
    }

    @Test
    void acceptsFOrderInputsAndLeavesThemUnchanged() {
        INDArray x = randn(3, 8);
        INDArray w = randn(1, 8).muli(0.3);
        INDArray r = randn(3, 8);
        INDArray xf = x.dup('f');
        INDArray dW = Nd4j.create(DataType.DOUBLE, 1, 8);
        INDArray dWf = Nd4j.create(DataType.DOUBLE, 1, 8);
        INDArray dx = GroupNorm.backward(x, w, 2, EPS, r, dW);
        assertClose(dx, GroupNorm.backward(xf, w, 2, EPS, r.dup('f'), dWf), 1e-12);
        assertClose(dW, dWf, 1e-12);
        assertClose(reference(x, w, 2), GroupNorm.forward(xf, w, 2, EPS), 1e-12);
        assertClose(x, xf, 0);
    }

    @Test
    void lowerPrecisionAgreesWithDouble() {
        INDArray x = randn(5, 16);
        INDArray w = randn(1, 16).muli(0.1);
        INDArray r = randn(5, 16);
        INDArray ref = GroupNorm.forward(x, w, 4, EPS);
        INDArray refDW = Nd4j.create(DataType.DOUBLE, 1, 16);
        INDArray refDx = GroupNorm.backward(x, w, 4, EPS, r, refDW);
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.HALF}) {
            double tol = t == DataType.FLOAT ? 1e-5 : 1e-2;
            INDArray y = GroupNorm.forward(x.castTo(t), w.castTo(t), 4, EPS);
            assertTrue(y.dataType() == t);
            assertClose(ref, y, tol);
            INDArray dW = Nd4j.create(t, 1, 16);
            INDArray dx = GroupNorm.backward(x.castTo(t), w.castTo(t), 4, EPS, r.castTo(t), dW);
            assertClose(refDx, dx, 2 * tol);
            assertClose(refDW, dW, 2 * tol);
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GroupNorm.forward(randn(2, 10), randn(1, 10), 4, EPS));
        assertTrue(e.getMessage().contains("x.size(1) = 10") && e.getMessage().contains("groups = 4"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GroupNorm.forward(randn(2, 8), randn(1, 6), 2, EPS));
    }
}
