package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.xlstm.dl4j.ops.OpTestSupport.assertClose;
import static org.xlstm.dl4j.ops.OpTestSupport.assertGradient;
import static org.xlstm.dl4j.ops.OpTestSupport.randn;

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
