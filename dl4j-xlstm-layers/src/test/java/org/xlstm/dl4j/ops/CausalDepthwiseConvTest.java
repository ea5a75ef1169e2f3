package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.xlstm.dl4j.ops.OpTestSupport.assertClose;
import static org.xlstm.dl4j.ops.OpTestSupport.assertGradient;
import static org.xlstm.dl4j.ops.OpTestSupport.randn;

import java.util.Arrays;

import org.xlstm.dl4j.kernel.KernelRegistry;
import org.xlstm.dl4j.backend.cpu.HostArrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class CausalDepthwiseConvTest {

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(13);
    }

    /** Direct evaluation of the definition; history null means zeros before t = 0. */
    private static INDArray reference(INDArray x, INDArray w, INDArray b, INDArray history) {
        int bs = (int) x.size(0);
        int t = (int) x.size(1);
        int c = (int) x.size(2);
        int k = (int) w.size(0);
        INDArray y = Nd4j.create(DataType.DOUBLE, bs, t, c);
        for (int n = 0; n < bs; n++) {
            for (int s = 0; s < t; s++) {
                for (int ch = 0; ch < c; ch++) {
                    double acc = b == null ? 0 : b.getDouble(0, ch);
                    for (int j = 0; j < k; j++) {
                        int src = s + j - (k - 1);
                        double v;
                        if (src >= 0) {
                            v = x.getDouble(n, src, ch);
                        } else {
                            v = history == null ? 0 : history.getDouble(n, k - 1 + src, ch);
                        }
                        acc += w.getDouble(j, ch) * v;
                    }
                    y.putScalar(new int[] {n, s, ch}, acc);
                }
            }
        }
        return y;
    }

    @Test
    void forwardMatchesLoops() {
        INDArray x = randn(2, 6, 3);
        INDArray w = randn(4, 3);
        INDArray b = randn(1, 3);
        INDArray history = randn(2, 3, 3);
        assertClose(reference(x, w, b, null), CausalDepthwiseConv.forward(x, w, b, null), 1e-12);
        assertClose(reference(x, w, null, history), CausalDepthwiseConv.forward(x, w, null, history), 1e-12);
        INDArray shortX = randn(2, 2, 3);
        assertClose(reference(shortX, w, b, history), CausalDepthwiseConv.forward(shortX, w, b, history), 1e-12);
        INDArray w1 = randn(1, 3);
        assertClose(reference(x, w1, b, null), CausalDepthwiseConv.forward(x, w1, b, null), 1e-12);
    }

    @Test
    void streamingInTwoPartsEqualsWholeSequence() {
        INDArray x = randn(2, 7, 3);
        INDArray w = randn(4, 3);
        INDArray b = randn(1, 3);
        INDArray whole = CausalDepthwiseConv.forward(x, w, b, null);
        for (int split : new int[] {1, 2, 5}) {
            INDArray first = x.get(all(), interval(0, split), all()).dup();
            INDArray second = x.get(all(), interval(split, 7), all()).dup();
            INDArray h = CausalDepthwiseConv.nextHistory(first, null, 4);
            assertArrayEquals(new long[] {2, 3, 3}, h.shape());
            INDArray y = Nd4j.concat(1, CausalDepthwiseConv.forward(first, w, b, null),
                    CausalDepthwiseConv.forward(second, w, b, h));
            assertClose(whole, y, 1e-12);
        }
        INDArray h1 = CausalDepthwiseConv.nextHistory(x.get(all(), interval(0, 1), all()).dup(), null, 4);
        INDArray h2 = CausalDepthwiseConv.nextHistory(x.get(all(), interval(1, 3), all()).dup(), h1, 4);
        assertClose(Nd4j.concat(1, Nd4j.zeros(DataType.DOUBLE, 2, 2, 3), x.get(all(), interval(0, 1), all())), h1,
                0);
        assertClose(x.get(all(), interval(0, 3), all()), h2, 0);
        assertArrayEquals(new long[] {2, 0, 3}, CausalDepthwiseConv.nextHistory(x, null, 1).shape());
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        for (int k : new int[] {4, 1}) {
            INDArray x = randn(2, 5, 3);
            INDArray w = randn(k, 3);
            INDArray b = randn(1, 3);
            INDArray history = k > 1 ? randn(2, k - 1, 3) : null;
            INDArray r = randn(2, 5, 3);
            INDArray dW = Nd4j.rand(DataType.DOUBLE, k, 3);
            INDArray dB = Nd4j.rand(DataType.DOUBLE, 1, 3);
            INDArray dx = CausalDepthwiseConv.backward(x, w, history, r, dW, dB);
            assertGradient("x", () -> CausalDepthwiseConv.forward(x, w, b, history), r, x, dx);
            assertGradient("w", () -> CausalDepthwiseConv.forward(x, w, b, history), r, w, dW);
            assertGradient("b", () -> CausalDepthwiseConv.forward(x, w, b, history), r, b, dB);
        }
    }

    @Test
    void acceptsFOrderInputs() {
        INDArray x = randn(2, 6, 3);
        INDArray w = randn(4, 3);
        INDArray history = randn(2, 3, 3);
        INDArray r = randn(2, 6, 3);
        INDArray dW = Nd4j.create(DataType.DOUBLE, 4, 3);
        INDArray dWf = Nd4j.create(DataType.DOUBLE, 4, 3);
        INDArray dx = CausalDepthwiseConv.backward(x, w, history, r, dW, null);
        INDArray dxf = CausalDepthwiseConv.backward(x.dup('f'), w.dup('f'), history.dup('f'), r.dup('f'), dWf, null);
        assertClose(dx, dxf, 1e-12);
        assertClose(dW, dWf, 1e-12);
        assertClose(CausalDepthwiseConv.forward(x, w, null, history),
                CausalDepthwiseConv.forward(x.dup('f'), w.dup('f'), null, history.dup('f')), 1e-12);
    }

    /**
     * Dense c-order float32 arrays take the fused loops of {@link HostCausalConv}; float64 takes ND4J's broadcast
     * passes, the path nd4j-cuda uses. They must agree across one step, fewer steps than taps (all of the window
     * from the history), sequences longer than a block (blocks and thread ranges splitting a sequence), odd
     * channel counts and K = 1, with and without history and bias.
     */
    @Test
    void hostLoopsAgreeWithTheGeneralPath() {
        // {B, T, C, K}; C = 257 makes a block 127 rows, so T = 300 spans three blocks per sequence; C = 40001
        // makes every row a block, so blocks start at steps 1 and 2, whose windows begin inside the history
        int[][] shapes = {{1, 1, 5, 4}, {3, 1, 4, 4}, {3, 2, 7, 4}, {1, 9, 3, 4}, {3, 300, 257, 4}, {2, 4, 40001, 4},
            {3, 6, 9, 1}, {1, 300, 257, 1}};
        for (int[] shape : shapes) {
            int k = shape[3];
            INDArray x = randn(shape[0], shape[1], shape[2]);
            INDArray w = randn(k, shape[2]);
            INDArray r = randn(shape[0], shape[1], shape[2]);
            for (INDArray b : new INDArray[] {null, randn(1, shape[2])}) {
                for (INDArray history : k > 1 ? new INDArray[] {null, randn(shape[0], k - 1, shape[2])}
                        : new INDArray[] {null}) {
                    String what = Arrays.toString(shape) + (b == null ? "" : " bias")
                            + (history == null ? "" : " history");
                    assertHostAgrees(what, x, w, b, history, r);
                }
            }
        }
    }

    private static void assertHostAgrees(String what, INDArray x, INDArray w, INDArray b, INDArray history,
                                         INDArray r) {
        INDArray xf = x.castTo(DataType.FLOAT);
        INDArray wf = w.castTo(DataType.FLOAT);
        INDArray bf = b == null ? null : b.castTo(DataType.FLOAT);
        INDArray hf = history == null ? null : history.castTo(DataType.FLOAT);
        INDArray rf = r.castTo(DataType.FLOAT);
        INDArray generalDW = Nd4j.create(DataType.DOUBLE, w.shape());
        INDArray generalDB = Nd4j.create(DataType.DOUBLE, 1, w.size(1));
        INDArray generalDx = CausalDepthwiseConv.backward(x, w, history, r, generalDW, generalDB);
        INDArray dW = Nd4j.create(DataType.FLOAT, w.shape());
        INDArray dB = Nd4j.create(DataType.FLOAT, 1, w.size(1));
        try {
            // the host loops add in another order than the broadcast passes: only an exact match shows dispatch
            INDArray y = CausalDepthwiseConv.forward(xf, wf, bf, hf);
            assertClose(KernelRegistry.fusedOps().causalConv(xf, wf, bf, hf), y, 0);
            assertClose(CausalDepthwiseConv.forward(x, w, b, history), y, 1e-5);
            INDArray dx = CausalDepthwiseConv.backward(xf, wf, hf, rf, dW, dB);
            assertClose(KernelRegistry.fusedOps().causalConvBackward(xf, wf, hf, rf, Nd4j.create(DataType.FLOAT, w.shape()), null),
                    dx, 0);
            assertClose(generalDx, dx, 1e-5);
            assertClose(generalDW, dW, 1e-5);
            assertClose(generalDB, dB, 1e-5);
        } catch (AssertionError e) {
            throw new AssertionError(what + ": " + e.getMessage(), e);
        }
    }

    /**
     * DL4J hands the layer views of its flat parameter and gradient vectors: the host loops must read w, b and x
     * at their views' offsets and write dW and dB into their own slices only.
     */
    @Test
    void hostLoopsReadAndWriteViewsOfFlatVectors() {
        int k = 4;
        int c = 6;
        INDArray params = randn(1, 3 + k * c + c + 2).castTo(DataType.FLOAT);
        INDArray w = params.get(all(), interval(3, 3 + k * c)).reshape('c', k, c);
        INDArray b = params.get(all(), interval(3 + k * c, 3 + k * c + c));
        INDArray batches = randn(4, 5, c).castTo(DataType.FLOAT);
        INDArray x = batches.get(interval(1, 3), all(), all());
        INDArray history = randn(2, k - 1, c).castTo(DataType.FLOAT);
        INDArray r = randn(2, 5, c).castTo(DataType.FLOAT);
        assertTrue(HostArrays.usable(x, w, b, history, r), "the CPU test run must exercise the host path");

        INDArray gradients = Nd4j.valueArrayOf(new long[] {1, 2 + k * c + c + 3}, 7f, DataType.FLOAT);
        INDArray dW = gradients.get(all(), interval(2, 2 + k * c)).reshape('c', k, c);
        INDArray dB = gradients.get(all(), interval(2 + k * c, 2 + k * c + c));
        INDArray dx = CausalDepthwiseConv.backward(x, w, history, r, dW, dB);

        INDArray xd = x.castTo(DataType.DOUBLE);
        INDArray wd = w.castTo(DataType.DOUBLE);
        INDArray hd = history.castTo(DataType.DOUBLE);
        assertClose(CausalDepthwiseConv.forward(xd, wd, b.castTo(DataType.DOUBLE), hd),
                CausalDepthwiseConv.forward(x, w, b, history), 1e-5);
        INDArray expectedDW = Nd4j.create(DataType.DOUBLE, k, c);
        INDArray expectedDB = Nd4j.create(DataType.DOUBLE, 1, c);
        INDArray expectedDx = CausalDepthwiseConv.backward(xd, wd, hd, r.castTo(DataType.DOUBLE), expectedDW,
                expectedDB);
        assertClose(expectedDx, dx, 1e-5);
        assertClose(expectedDW, dW, 1e-5);
        assertClose(expectedDB, dB, 1e-5);
        for (int i : new int[] {0, 1, 2 + k * c + c, 2 + k * c + c + 2}) {
            assertTrue(gradients.getFloat(0, i) == 7f, "gradient entry " + i + " outside dW and dB was written");
        }
    }

    @Test
    void lowerPrecisionAgreesWithDouble() {
        INDArray x = randn(2, 9, 8);
        INDArray w = randn(4, 8).muli(0.5);
        INDArray b = randn(1, 8);
        INDArray history = randn(2, 3, 8);
        INDArray r = randn(2, 9, 8);
        INDArray ref = CausalDepthwiseConv.forward(x, w, b, history);
        INDArray refDW = Nd4j.create(DataType.DOUBLE, 4, 8);
        INDArray refDx = CausalDepthwiseConv.backward(x, w, history, r, refDW, null);
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.HALF}) {
            double tol = t == DataType.FLOAT ? 1e-5 : 1e-2;
            INDArray y = CausalDepthwiseConv.forward(x.castTo(t), w.castTo(t), b.castTo(t), history.castTo(t));
            assertTrue(y.dataType() == t);
            assertClose(ref, y, tol);
            INDArray dW = Nd4j.create(t, 4, 8);
            INDArray dx = CausalDepthwiseConv.backward(x.castTo(t), w.castTo(t), history.castTo(t), r.castTo(t),
                    dW, Nd4j.create(t, 1, 8));
            assertClose(refDx, dx, tol);
            assertClose(refDW, dW, tol);
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CausalDepthwiseConv.forward(randn(2, 5, 3), randn(4, 6), null, null));
        assertTrue(e.getMessage().contains("x.size(2)") && e.getMessage().contains("expected 6")
                && e.getMessage().contains("got 3"), e.getMessage());
        IllegalArgumentException h = assertThrows(IllegalArgumentException.class,
                () -> CausalDepthwiseConv.forward(randn(2, 5, 3), randn(4, 3), null, randn(2, 2, 3)));
        assertTrue(h.getMessage().contains("history") && h.getMessage().contains("[2, 3, 3]"), h.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> CausalDepthwiseConv.forward(randn(2, 5, 3), randn(4, 3), randn(1, 4), null));
    }
}
