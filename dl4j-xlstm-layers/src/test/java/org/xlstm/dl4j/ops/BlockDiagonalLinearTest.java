package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xlstm.dl4j.ops.OpTestSupport.assertClose;
import static org.xlstm.dl4j.ops.OpTestSupport.assertGradient;
import static org.xlstm.dl4j.ops.OpTestSupport.randn;

import java.util.Arrays;

import org.xlstm.dl4j.backend.cpu.HostSmallBlockDiagonal;
import org.xlstm.dl4j.backend.cpu.HostBlas;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class BlockDiagonalLinearTest {

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(12);
    }

    @Test
    void forwardMatchesLoops() {
        int n = 4;
        int nb = 3;
        int bin = 5;
        int bout = 2;
        INDArray x = randn(n, nb * bin);
        INDArray w = randn(nb, bout, bin);
        INDArray b = randn(1, nb * bout);
        INDArray expected = Nd4j.create(DataType.DOUBLE, n, nb * bout);
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < nb; k++) {
                for (int o = 0; o < bout; o++) {
                    double s = b.getDouble(0, k * bout + o);
                    for (int i = 0; i < bin; i++) {
                        s += x.getDouble(r, k * bin + i) * w.getDouble(k, o, i);
                    }
                    expected.putScalar(r, k * bout + o, s);
                }
            }
        }
        assertClose(expected, BlockDiagonalLinear.forward(x, w, b), 1e-12);
        assertClose(expected.subRowVector(b), BlockDiagonalLinear.forward(x, w, null), 1e-12);
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        INDArray x = randn(3, 8);
        INDArray w = randn(2, 3, 4);
        INDArray b = randn(1, 6);
        INDArray r = randn(3, 6);
        INDArray dW = Nd4j.rand(DataType.DOUBLE, 2, 3, 4);
        INDArray dB = Nd4j.rand(DataType.DOUBLE, 1, 6);
        INDArray dx = BlockDiagonalLinear.backward(x, w, r, dW, dB);
        assertGradient("x", () -> BlockDiagonalLinear.forward(x, w, b), r, x, dx);
        assertGradient("w", () -> BlockDiagonalLinear.forward(x, w, b), r, w, dW);
        assertGradient("b", () -> BlockDiagonalLinear.forward(x, w, b), r, b, dB);
    }

    @Test
    void acceptsFOrderInputAndWritesIntoAGradientView() {
        INDArray x = randn(3, 8);
        INDArray w = randn(2, 3, 4);
        INDArray r = randn(3, 6);
        INDArray expectedDW = Nd4j.create(DataType.DOUBLE, 2, 3, 4);
        INDArray expectedDx = BlockDiagonalLinear.backward(x, w, r, expectedDW, null);
        // DL4J hands out parameter gradients as reshaped ranges of one flat buffer, at an offset.
        INDArray flat = Nd4j.zeros(DataType.DOUBLE, 1, 40);
        INDArray dW = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(10, 34)).reshape('c', 2, 3, 4);
        INDArray dx = BlockDiagonalLinear.backward(x.dup('f'), w, r.dup('f'), dW, null);
        assertClose(expectedDx, dx, 1e-12);
        assertClose(expectedDW, flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(10, 34)).reshape(2, 3, 4),
                1e-12);
        assertClose(BlockDiagonalLinear.forward(x, w, null), BlockDiagonalLinear.forward(x.dup('f'), w, null), 1e-12);
    }

    /**
     * On the CPU backend c-order float/double inputs take {@link HostBlockDiagonal} (blocks grouped into
     * dense OpenBLAS products on column windows; float32 with small square blocks takes
     * {@link HostSmallBlockDiagonal} instead); f-order inputs take the permuting general path, the one
     * nd4j-cuda uses. Both must agree wherever the grouping differs: many small blocks in several groups,
     * blocks that do not divide the group width, and blocks wider than a group.
     */
    @Test
    void hostGroupedProductsAgreeWithTheGeneralPath() {
        assertTrue(HostBlas.available(), "the CPU backend test run must exercise the host path");
        // rows: many, and a single row (a streaming step), for which ND4J may report a row stride of 1
        int[][] shapes = {{37, 48, 4, 4}, {37, 6, 5, 3}, {37, 7, 3, 2}, {37, 2, 70, 66}, {1, 48, 4, 4}, {1, 2, 70, 66}};
        for (int[] shape : shapes) {
            int rows = shape[0];
            int nb = shape[1];
            int bout = shape[2];
            int bin = shape[3];
            INDArray x = randn(1, rows, nb * bin).reshape(rows, nb * bin);
            INDArray w = randn(nb, bout, bin);
            INDArray r = randn(rows, nb * bout);
            assertClose(BlockDiagonalLinear.forward(x.dup('f'), w, null), BlockDiagonalLinear.forward(x, w, null), 1e-12);
            INDArray generalDW = Nd4j.create(DataType.DOUBLE, nb, bout, bin);
            INDArray generalDx = BlockDiagonalLinear.backward(x.dup('f'), w, r.dup('f'), generalDW, null);
            INDArray hostDW = Nd4j.create(DataType.DOUBLE, nb, bout, bin);
            INDArray hostDx = BlockDiagonalLinear.backward(x, w, r, hostDW, null);
            assertClose(generalDx, hostDx, 1e-12);
            assertClose(generalDW, hostDW, 1e-12);

            INDArray xf = x.castTo(DataType.FLOAT);
            INDArray wf = w.castTo(DataType.FLOAT);
            assertClose(BlockDiagonalLinear.forward(x, w, null), BlockDiagonalLinear.forward(xf, wf, null), 1e-5);
            INDArray floatDW = Nd4j.create(DataType.FLOAT, nb, bout, bin);
            INDArray floatDx = BlockDiagonalLinear.backward(xf, wf, r.castTo(DataType.FLOAT), floatDW, null);
            assertClose(generalDx, floatDx, 1e-5);
            assertClose(generalDW, floatDW, 1e-5);
        }
    }

    /**
     * Dense float32 inputs with small square blocks take {@link HostSmallBlockDiagonal}; non-square or wide
     * blocks stay on the grouped products. Each is checked against the float64 general path (f-order x)
     * on the same float-rounded inputs, so the difference is float arithmetic only: a forward or dx entry
     * sums at most 2s-1 products and a dW entry 101, each rounded to about 6e-8, far below the 1e-5 bar
     * (relative to the largest entry). The shapes cover the block widths 1 to 16 and blocks split over
     * tasks unevenly (67 blocks), 101 rows (not a multiple of the 32-row float dW sums), a single row, and
     * w and dW as ranges of larger flat vectors at an offset, as DL4J hands out parameters and gradients.
     */
    @Test
    void float32HostPathsAgreeWithTheDoubleGeneralPath() {
        // {rows, nb, bout, bin, whether the banded path applies}
        int[][] shapes = {{101, 67, 4, 4, 1}, {101, 67, 1, 1, 1}, {101, 67, 2, 2, 1}, {101, 33, 8, 8, 1},
                {37, 9, 16, 16, 1}, {1, 256, 4, 4, 1}, {101, 6, 5, 3, 0}, {37, 3, 17, 17, 0}, {37, 2, 70, 66, 0}};
        for (int[] shape : shapes) {
            int rows = shape[0];
            int nb = shape[1];
            int bout = shape[2];
            int bin = shape[3];
            String name = Arrays.toString(shape);
            INDArray x = randn(rows, nb * bin).castTo(DataType.FLOAT);
            INDArray b = randn(1, nb * bout).castTo(DataType.FLOAT);
            INDArray r = randn(rows, nb * bout).castTo(DataType.FLOAT);
            INDArray params = Nd4j.zeros(DataType.FLOAT, 1, 10 + nb * bout * bin + 10);
            INDArray w = inFlatVector(params, nb, bout, bin).assign(randn(nb, bout, bin));
            assertTrue(params.amaxNumber().doubleValue() > 0, name + ": w must be a view of the flat vector");
            assertEquals(shape[4] == 1, HostSmallBlockDiagonal.applies(w, x, r), name);

            INDArray x64 = x.castTo(DataType.DOUBLE);
            INDArray w64 = w.castTo(DataType.DOUBLE);
            INDArray r64 = r.castTo(DataType.DOUBLE);
            assertClose(BlockDiagonalLinear.forward(x64.dup('f'), w64, b.castTo(DataType.DOUBLE)),
                    BlockDiagonalLinear.forward(x, w, b), 1e-5);

            INDArray expectedDW = Nd4j.create(DataType.DOUBLE, nb, bout, bin);
            INDArray expectedDB = Nd4j.create(DataType.DOUBLE, 1, nb * bout);
            INDArray expectedDx = BlockDiagonalLinear.backward(x64.dup('f'), w64, r64.dup('f'), expectedDW, expectedDB);
            INDArray grads = Nd4j.zeros(DataType.FLOAT, 1, 10 + nb * bout * bin + 10);
            INDArray dW = inFlatVector(grads, nb, bout, bin);
            INDArray dB = Nd4j.create(DataType.FLOAT, 1, nb * bout);
            INDArray dx = BlockDiagonalLinear.backward(x, w, r, dW, dB);
            assertClose(expectedDx, dx, 1e-5);
            assertClose(expectedDW, inFlatVector(grads, nb, bout, bin).dup(), 1e-5);
            assertClose(expectedDB, dB, 1e-5);
            assertEquals(0.0, grads.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, 10)).amaxNumber().doubleValue(),
                    name + ": written before the dW range");
            assertEquals(0.0, grads.get(NDArrayIndex.point(0), NDArrayIndex.interval(10 + nb * bout * bin,
                    20 + nb * bout * bin)).amaxNumber().doubleValue(), name + ": written after the dW range");
        }
    }

    /** [nb, bout, bin] over the elements [10, 10 + nb*bout*bin) of a flat [1, L] vector. */
    private static INDArray inFlatVector(INDArray flat, int nb, int bout, int bin) {
        return flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(10, 10 + nb * bout * bin)).reshape('c', nb, bout, bin);
    }

    @Test
    void lowerPrecisionAgreesWithDouble() {
        INDArray x = randn(5, 16);
        INDArray w = randn(4, 4, 4).muli(0.5);
        INDArray b = randn(1, 16);
        INDArray r = randn(5, 16);
        INDArray ref = BlockDiagonalLinear.forward(x, w, b);
        INDArray refDW = Nd4j.create(DataType.DOUBLE, 4, 4, 4);
        INDArray refDx = BlockDiagonalLinear.backward(x, w, r, refDW, null);
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.HALF}) {
            double tol = t == DataType.FLOAT ? 1e-5 : 1e-2;
            INDArray y = BlockDiagonalLinear.forward(x.castTo(t), w.castTo(t), b.castTo(t));
            assertTrue(y.dataType() == t);
            assertClose(ref, y, tol);
            INDArray dW = Nd4j.create(t, 4, 4, 4);
            INDArray dx = BlockDiagonalLinear.backward(x.castTo(t), w.castTo(t), r.castTo(t), dW, null);
            assertClose(refDx, dx, tol);
            assertClose(refDW, dW, tol);
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BlockDiagonalLinear.forward(randn(2, 9), randn(2, 3, 4), null));
        assertTrue(e.getMessage().contains("x.size(1)") && e.getMessage().contains("expected 8")
                && e.getMessage().contains("got 9"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> BlockDiagonalLinear.forward(randn(2, 8), randn(2, 3, 4), randn(1, 8)));
        assertThrows(IllegalArgumentException.class,
                () -> BlockDiagonalLinear.forward(randn(2, 8), randn(8, 4), null));
    }
}
