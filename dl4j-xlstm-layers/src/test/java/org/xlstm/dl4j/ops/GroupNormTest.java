package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.xlstm.dl4j.ops.OpTestSupport.assertClose;
import static org.xlstm.dl4j.ops.OpTestSupport.assertGradient;
import static org.xlstm.dl4j.ops.OpTestSupport.randn;

import org.xlstm.dl4j.backend.cpu.HostArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
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

    /**
     * Dense c-order float32 arrays take HostGroupNorm's fused row loop; f-order copies and float64 take the
     * ND4J ops. Both must agree on one row, odd group sizes (the unrolled sums' tails), one and four groups
     * and wide rows, also when w and dW are views into flat vectors at an offset, as DL4J's parameter and
     * gradient views are.
     */
    @Test
    void hostRowLoopAgreesWithTheGeneralPath() {
        int[][] shapes = {{1, 8, 1}, {1, 1024, 4}, {7, 13, 1}, {9, 20, 4}, {5, 15, 3}, {33, 1024, 4}, {70, 1024, 1}};
        for (int[] shape : shapes) {
            int n = shape[0];
            int f = shape[1];
            int groups = shape[2];
            INDArray x = randn(n, f).muli(3).addi(1);
            INDArray w = randn(1, f).muli(0.3);
            INDArray r = randn(n, f);
            INDArray refDW = Nd4j.create(DataType.DOUBLE, 1, f);
            INDArray refDx = GroupNorm.backward(x, w, groups, EPS, r, refDW);
            INDArray ref = GroupNorm.forward(x, w, groups, EPS);

            INDArray xf = x.castTo(DataType.FLOAT);
            INDArray rf = r.castTo(DataType.FLOAT);
            INDArray wFlat = Nd4j.valueArrayOf(new long[] {1, f + 5}, 7f, DataType.FLOAT);
            INDArray wf = wFlat.get(interval(0, 1), interval(2, 2 + f)).assign(w);
            INDArray dWFlat = Nd4j.valueArrayOf(new long[] {1, f + 10}, 7f, DataType.FLOAT);
            INDArray dWf = dWFlat.get(interval(0, 1), interval(3, 3 + f));
            assertTrue(HostArrays.usable(xf, wf, rf, dWf), "the CPU backend test run must exercise the host path");
            assertClose(ref, GroupNorm.forward(xf, wf, groups, EPS), 1e-5);
            assertClose(refDx, GroupNorm.backward(xf, wf, groups, EPS, rf, dWf), 1e-5);
            assertClose(refDW, dWf, 1e-5);
            // and nothing of the flat vector outside the view
            INDArray refDWFlat = Nd4j.valueArrayOf(new long[] {1, f + 10}, 7.0, DataType.DOUBLE);
            refDWFlat.get(interval(0, 1), interval(3, 3 + f)).assign(refDW);
            assertClose(refDWFlat, dWFlat, 1e-5);
            // a dW the host loop cannot address (a row of an f-order matrix, stride 2) is written through ND4J
            INDArray stridedDW = Nd4j.create(DataType.FLOAT, new long[] {2, f}, 'f').getRow(0, true);
            assertFalse(HostArrays.usable(stridedDW));
            GroupNorm.backward(xf, wf, groups, EPS, rf, stridedDW);
            assertClose(refDW, stridedDW, 1e-5);

            INDArray generalDW = Nd4j.create(DataType.FLOAT, 1, f);
            assertClose(ref, GroupNorm.forward(xf.dup('f'), wf, groups, EPS), 1e-5);
            assertClose(refDx, GroupNorm.backward(xf.dup('f'), wf, groups, EPS, rf.dup('f'), generalDW), 1e-5);
            assertClose(refDW, generalDW, 1e-5);
        }
    }

    /** The runtime calls GroupNorm inside ND4J workspaces; outputs must live there, as the ND4J ops' do. */
    @Test
    void hostOutputsAreAllocatedInTheCurrentWorkspace() {
        INDArray x = randn(4, 16).castTo(DataType.FLOAT);
        INDArray w = randn(1, 16).castTo(DataType.FLOAT);
        INDArray dW = Nd4j.create(DataType.FLOAT, 1, 16);
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace("GroupNormTest")) {
            assertTrue(GroupNorm.forward(x, w, 4, EPS).isAttached());
            assertTrue(GroupNorm.backward(x, w, 4, EPS, x, dW).isAttached());
        }
    }
}
