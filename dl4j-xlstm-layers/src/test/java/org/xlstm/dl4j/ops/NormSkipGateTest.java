package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.xlstm.dl4j.ops.OpTestSupport.assertClose;
import static org.xlstm.dl4j.ops.OpTestSupport.assertGradient;
import static org.xlstm.dl4j.ops.OpTestSupport.randn;

import java.util.function.Supplier;

import org.xlstm.dl4j.backend.cpu.HostArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NormSkipGateTest {

    private static final double EPS = 1e-5;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(31);
    }

    @Test
    void forwardIsTheComposition() {
        INDArray h = randn(4, 12).muli(3).addi(1);
        INDArray x = randn(4, 12);
        INDArray z = randn(4, 12).muli(4);
        INDArray w = randn(1, 12).muli(0.3);
        INDArray skip = randn(1, 12);
        for (int groups : new int[] {1, 3}) {
            INDArray expected = GroupNorm.forward(h, w, groups, EPS).addi(x.mulRowVector(skip))
                    .muli(Activations.sigmoid(z).muli(z));
            assertClose(expected, NormSkipGate.forward(h, x, z, w, skip, groups, EPS), 1e-12);
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        for (int groups : new int[] {1, 2}) {
            INDArray h = randn(3, 8);
            INDArray x = randn(3, 8);
            INDArray z = randn(3, 8).muli(3);
            INDArray w = randn(1, 8).muli(0.3);
            INDArray skip = randn(1, 8);
            INDArray r = randn(3, 8);
            INDArray dW = Nd4j.rand(DataType.DOUBLE, 1, 8);
            INDArray dSkip = Nd4j.rand(DataType.DOUBLE, 1, 8);
            NormSkipGate.Gradients g = NormSkipGate.backward(h, x, z, w, skip, groups, EPS, r, dW, dSkip);
            Supplier<INDArray> f = () -> NormSkipGate.forward(h, x, z, w, skip, groups, EPS);
            assertGradient("h", f, r, h, g.dh);
            assertGradient("x", f, r, x, g.dx);
            assertGradient("z", f, r, z, g.dz);
            assertGradient("w", f, r, w, dW);
            assertGradient("skip", f, r, skip, dSkip);
        }
    }

    /**
     * Dense c-order float32 arrays take HostNormSkipGate's fused row loop; float64 takes the composition of
     * ND4J ops. Both must agree on one row, odd group sizes, wide rows, row counts that split unevenly over
     * the tasks and tasks longer than one float block of the weight sums, with w, skip and their gradients
     * as views into flat vectors at offsets, as DL4J's parameter and gradient views are.
     */
    @Test
    void hostRowLoopAgreesWithTheGeneralPath() {
        int[][] shapes = {{1, 8, 1}, {7, 13, 1}, {5, 15, 3}, {33, 1024, 4}, {97, 1024, 4}, {301, 256, 2}};
        for (int[] shape : shapes) {
            int n = shape[0];
            int f = shape[1];
            int groups = shape[2];
            INDArray h = randn(n, f).muli(3).addi(1);
            INDArray x = randn(n, f);
            // past the range where the sigmoid saturates in float, both ways
            INDArray z = randn(n, f).muli(8);
            z.putScalar(0, 0, 95.0);
            z.putScalar(n - 1, f - 1, -95.0);
            INDArray w = randn(1, f).muli(0.3);
            INDArray skip = randn(1, f);
            INDArray r = randn(n, f);
            INDArray ref = NormSkipGate.forward(h, x, z, w, skip, groups, EPS);
            INDArray refDW = Nd4j.create(DataType.DOUBLE, 1, f);
            INDArray refDSkip = Nd4j.create(DataType.DOUBLE, 1, f);
            NormSkipGate.Gradients refGrads = NormSkipGate.backward(h, x, z, w, skip, groups, EPS, r, refDW, refDSkip);

            INDArray hf = h.castTo(DataType.FLOAT);
            INDArray xf = x.castTo(DataType.FLOAT);
            INDArray zf = z.castTo(DataType.FLOAT);
            INDArray rf = r.castTo(DataType.FLOAT);
            INDArray paramFlat = Nd4j.valueArrayOf(new long[] {1, 2 * f + 5}, 7f, DataType.FLOAT);
            INDArray wf = paramFlat.get(interval(0, 1), interval(2, 2 + f)).assign(w);
            INDArray skipF = paramFlat.get(interval(0, 1), interval(3 + f, 3 + 2 * f)).assign(skip);
            INDArray gradFlat = Nd4j.valueArrayOf(new long[] {1, 2 * f + 10}, 7f, DataType.FLOAT);
            INDArray dWf = gradFlat.get(interval(0, 1), interval(3, 3 + f));
            INDArray dSkipF = gradFlat.get(interval(0, 1), interval(5 + f, 5 + 2 * f));
            assertTrue(HostArrays.usable(hf, xf, zf, wf, skipF, rf, dWf, dSkipF),
                    "the CPU backend test run must exercise the host path");
            assertClose(ref, NormSkipGate.forward(hf, xf, zf, wf, skipF, groups, EPS), 1e-5);
            NormSkipGate.Gradients grads = NormSkipGate.backward(hf, xf, zf, wf, skipF, groups, EPS, rf, dWf, dSkipF);
            assertClose(refGrads.dh, grads.dh, 1e-5);
            assertClose(refGrads.dx, grads.dx, 1e-5);
            assertClose(refGrads.dz, grads.dz, 1e-5);
            assertClose(refDW, dWf, 1e-5);
            assertClose(refDSkip, dSkipF, 1e-5);
            // and nothing of the flat vector outside the views
            INDArray refGradFlat = Nd4j.valueArrayOf(new long[] {1, 2 * f + 10}, 7.0, DataType.DOUBLE);
            refGradFlat.get(interval(0, 1), interval(3, 3 + f)).assign(refDW);
            refGradFlat.get(interval(0, 1), interval(5 + f, 5 + 2 * f)).assign(refDSkip);
            assertClose(refGradFlat, gradFlat, 1e-5);
            // gradients the host loop cannot address (rows of an f-order matrix, stride 2) are written through ND4J
            INDArray stridedDW = Nd4j.create(DataType.FLOAT, new long[] {2, f}, 'f').getRow(0, true);
            INDArray stridedDSkip = Nd4j.create(DataType.FLOAT, new long[] {2, f}, 'f').getRow(1, true);
            assertFalse(HostArrays.usable(stridedDW));
            NormSkipGate.backward(hf, xf, zf, wf, skipF, groups, EPS, rf, stridedDW, stridedDSkip);
            assertClose(refDW, stridedDW, 1e-5);
            assertClose(refDSkip, stridedDSkip, 1e-5);
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NormSkipGate.forward(randn(2, 10), randn(2, 10), randn(2, 10), randn(1, 10), randn(1, 10), 4,
                        EPS));
        assertTrue(e.getMessage().contains("groups = 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NormSkipGate.forward(randn(2, 8), randn(2, 8),
                randn(3, 8), randn(1, 8), randn(1, 8), 2, EPS));
        assertThrows(IllegalArgumentException.class, () -> NormSkipGate.forward(randn(2, 8), randn(2, 8),
                randn(2, 8), randn(1, 8), randn(1, 6), 2, EPS));
    }

    /** The runtime calls the op inside ND4J workspaces; outputs must live there, as the ND4J ops' do. */
    @Test
    void hostOutputsAreAllocatedInTheCurrentWorkspace() {
        INDArray h = randn(4, 16).castTo(DataType.FLOAT);
        INDArray w = randn(1, 16).castTo(DataType.FLOAT);
        INDArray dW = Nd4j.create(DataType.FLOAT, 1, 16);
        INDArray dSkip = Nd4j.create(DataType.FLOAT, 1, 16);
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace("NormSkipGateTest")) {
            assertTrue(NormSkipGate.forward(h, h, h, w, w, 4, EPS).isAttached());
            NormSkipGate.Gradients g = NormSkipGate.backward(h, h, h, w, w, 4, EPS, h, dW, dSkip);
            assertTrue(g.dh.isAttached() && g.dx.isAttached() && g.dz.isAttached());
        }
    }
}
