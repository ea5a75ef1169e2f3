package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;
import static org.xlstm.dl4j.ops.OpTestSupport.assertClose;
import static org.xlstm.dl4j.ops.OpTestSupport.assertGradient;
import static org.xlstm.dl4j.ops.OpTestSupport.randn;

import org.xlstm.dl4j.backend.cpu.HostBlas;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ConcatInputLinearTest {

    /** Input widths as the mLSTM gates see them: q, k, v. */
    private static final int[] WIDTHS = {5, 5, 5};
    private static final int IN = 15;
    /** Two maps (input and forget gate) of different widths, so a mix-up of the column blocks shows. */
    private static final int[] OUTS = {3, 2};

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(23);
    }

    private static INDArray[] inputs(int rows, DataType type, char order) {
        INDArray[] xs = new INDArray[WIDTHS.length];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = randn(rows, WIDTHS[i]).castTo(type).dup(order);
        }
        return xs;
    }

    /** The weights and biases as views into one flat vector at offsets, in the given order, like DL4J's. */
    private static INDArray[][] parameters(INDArray flat, char order) {
        INDArray[] weights = new INDArray[OUTS.length];
        INDArray[] biases = new INDArray[OUTS.length];
        long offset = 3;
        for (int j = 0; j < OUTS.length; j++) {
            weights[j] = flat.get(point(0), interval(offset, offset + IN * OUTS[j])).reshape(order, IN, OUTS[j]);
            offset += IN * OUTS[j] + 1;
            biases[j] = flat.get(interval(0, 1), interval(offset, offset + OUTS[j]));
            offset += OUTS[j];
            assertTrue(weights[j].isView() && biases[j].isView(), "parameters must alias the flat vector");
        }
        return new INDArray[][] {weights, biases};
    }

    private static long flatLength() {
        long length = 3;
        for (int out : OUTS) {
            length += IN * out + 1 + out;
        }
        return length + 2;
    }

    @Test
    void forwardIsLinearOfTheConcatenation() {
        INDArray[] xs = inputs(6, DataType.DOUBLE, 'c');
        INDArray[][] p = parameters(randn(1, flatLength()), 'c');
        INDArray x = Nd4j.concat(1, xs);
        INDArray[] ys = ConcatInputLinear.forward(xs, p[0], new INDArray[] {p[1][0], null});
        assertClose(Linear.forward(x, p[0][0], p[1][0]), ys[0], 1e-12);
        assertClose(Linear.forward(x, p[0][1], null), ys[1], 1e-12);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        assertTrue(HostBlas.available(), "the CPU backend test run must exercise the host path");
        INDArray[] xs = inputs(4, DataType.DOUBLE, 'c');
        INDArray[][] p = parameters(randn(1, flatLength()), 'c');
        INDArray[] r = {randn(4, OUTS[0]), randn(4, OUTS[1])};
        INDArray[] dWs = {Nd4j.rand(DataType.DOUBLE, IN, OUTS[0]), Nd4j.rand(DataType.DOUBLE, IN, OUTS[1])};
        INDArray[] dBs = {Nd4j.rand(DataType.DOUBLE, 1, OUTS[0]), Nd4j.rand(DataType.DOUBLE, 1, OUTS[1])};
        INDArray[] dxs = {Nd4j.zeros(DataType.DOUBLE, 4, 5), Nd4j.zeros(DataType.DOUBLE, 4, 5),
                Nd4j.zeros(DataType.DOUBLE, 4, 5)};
        ConcatInputLinear.backward(xs, p[0], r, dWs, dBs, dxs);
        // the loss sum(y_0 r_0) + sum(y_1 r_1), as one output [y_0 y_1] against [r_0 r_1]
        INDArray rAll = Nd4j.concat(1, r);
        java.util.function.Supplier<INDArray> f = () -> Nd4j.concat(1, ConcatInputLinear.forward(xs, p[0], p[1]));
        for (int i = 0; i < xs.length; i++) {
            assertGradient("x" + i, f, rAll, xs[i], dxs[i]);
        }
        for (int j = 0; j < OUTS.length; j++) {
            assertGradient("w" + j, f, rAll, p[0][j], dWs[j]);
            assertGradient("b" + j, f, rAll, p[1][j], dBs[j]);
        }
    }

    /**
     * Dense c-order float32 arrays take the stacked host products; float64 inputs BLAS cannot address
     * (strided columns) take the concatenation and {@link Linear}. Both must agree for one row and many, with weights and gradients as
     * views into flat vectors (c- and f-order reshapes), and the input gradients added to what they held.
     */
    @Test
    void hostProductsAgreeWithTheGeneralPath() {
        for (int rows : new int[] {1, 7, 70}) {
            for (char order : new char[] {'c', 'f'}) {
                INDArray[] xs = everyOtherColumn(inputs(rows, DataType.DOUBLE, 'c'));
                INDArray flat = randn(1, flatLength());
                INDArray[][] p = parameters(flat, order);
                INDArray[] r = {randn(rows, OUTS[0]), randn(rows, OUTS[1])};
                INDArray[] held = inputs(rows, DataType.DOUBLE, 'c');
                assertFalse(HostBlas.addressable(xs[0]), "the reference must take the general path");
                INDArray[] refY = ConcatInputLinear.forward(xs, p[0], p[1]);
                INDArray refGradFlat = Nd4j.valueArrayOf(new long[] {1, flatLength()}, 7.0, DataType.DOUBLE);
                INDArray[][] refGrads = parameters(refGradFlat, order);
                INDArray[] refDx = dupAll(held);
                ConcatInputLinear.backward(xs, p[0], r, refGrads[0], refGrads[1], refDx);

                INDArray[] xsF = castAll(xs, DataType.FLOAT, 'c');
                INDArray[][] pF = parameters(flat.castTo(DataType.FLOAT), order);
                INDArray[] ys = ConcatInputLinear.forward(xsF, pF[0], pF[1]);
                INDArray gradFlat = Nd4j.valueArrayOf(new long[] {1, flatLength()}, 7f, DataType.FLOAT);
                INDArray[][] grads = parameters(gradFlat, order);
                INDArray[] dx = castAll(held, DataType.FLOAT, 'c');
                ConcatInputLinear.backward(xsF, pF[0], castAll(r, DataType.FLOAT, 'c'), grads[0], grads[1], dx);
                for (int j = 0; j < OUTS.length; j++) {
                    assertClose(refY[j], ys[j], 1e-5);
                }
                for (int i = 0; i < xs.length; i++) {
                    assertClose(refDx[i], dx[i], 1e-5);
                }
                // every gradient, and nothing of the flat vector outside the views
                assertClose(refGradFlat, gradFlat, 1e-5);
            }
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        INDArray[] xs = inputs(3, DataType.DOUBLE, 'c');
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConcatInputLinear.forward(xs, new INDArray[] {randn(14, 2)}, new INDArray[] {null}));
        assertTrue(e.getMessage().contains("15") && e.getMessage().contains("14"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConcatInputLinear.forward(
                new INDArray[] {randn(3, 5), randn(2, 10)}, new INDArray[] {randn(15, 2)}, new INDArray[] {null}));
        assertThrows(IllegalArgumentException.class,
                () -> ConcatInputLinear.forward(xs, new INDArray[] {randn(15, 2)}, new INDArray[] {randn(1, 3)}));
    }

    private static INDArray[] castAll(INDArray[] arrays, DataType type, char order) {
        INDArray[] cast = new INDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            cast[i] = arrays[i].castTo(type).dup(order);
        }
        return cast;
    }

    /** The same values as views with a column stride of 2. */
    private static INDArray[] everyOtherColumn(INDArray[] arrays) {
        INDArray[] strided = new INDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            INDArray wide = Nd4j.create(arrays[i].dataType(), arrays[i].size(0), 2 * arrays[i].size(1));
            strided[i] = wide.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, wide.size(1))).assign(arrays[i]);
        }
        return strided;
    }

    private static INDArray[] dupAll(INDArray[] arrays) {
        return castAll(arrays, arrays[0].dataType(), 'c');
    }
}
