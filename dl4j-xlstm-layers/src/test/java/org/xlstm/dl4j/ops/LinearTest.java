package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
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

class LinearTest {

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(11);
    }

    @Test
    void forwardMatchesLoops() {
        INDArray x = randn(5, 7);
        INDArray w = randn(7, 3);
        INDArray b = randn(1, 3);
        INDArray expected = Nd4j.create(DataType.DOUBLE, 5, 3);
        for (int n = 0; n < 5; n++) {
            for (int o = 0; o < 3; o++) {
                double s = b.getDouble(0, o);
                for (int i = 0; i < 7; i++) {
                    s += x.getDouble(n, i) * w.getDouble(i, o);
                }
                expected.putScalar(n, o, s);
            }
        }
        assertClose(expected, Linear.forward(x, w, b), 1e-12);
        assertClose(expected.subRowVector(b), Linear.forward(x, w, null), 1e-12);
    }

    @Test
    void halvesAreTheColumnHalvesOfTheFullProduct() {
        assertTrue(HostBlas.available(), "the CPU backend test run must exercise the host path");
        // w and b as views at an offset of one flat vector, as DL4J hands out parameters; 1 row and many
        INDArray flat = randn(1, 3 + 7 * 6 + 6);
        INDArray w = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(3, 3 + 42)).reshape('c', 7, 6);
        INDArray b = flat.get(NDArrayIndex.all(), NDArrayIndex.interval(45, 51));
        for (int rows : new int[] {1, 9}) {
            INDArray x = randn(rows, 7);
            INDArray full = Linear.forward(x.dup('f'), w, b);
            for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
                INDArray[] halves = Linear.forwardHalves(x.castTo(type), w.castTo(type), b.castTo(type));
                double tolerance = type == DataType.DOUBLE ? 1e-12 : 1e-5;
                assertClose(full.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3)), halves[0], tolerance);
                assertClose(full.get(NDArrayIndex.all(), NDArrayIndex.interval(3, 6)), halves[1], tolerance);
            }
            INDArray[] general = Linear.forwardHalves(x.dup('f'), w, null);
            assertClose(full.subRowVector(b).get(NDArrayIndex.all(), NDArrayIndex.interval(3, 6)), general[1], 1e-12);
        }
        assertThrows(IllegalArgumentException.class, () -> Linear.forwardHalves(randn(2, 7), randn(7, 5), null));
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        INDArray x = randn(4, 6);
        INDArray w = randn(6, 5);
        INDArray b = randn(1, 5);
        INDArray r = randn(4, 5);
        INDArray dW = Nd4j.rand(DataType.DOUBLE, 6, 5);
        INDArray dB = Nd4j.rand(DataType.DOUBLE, 1, 5);
        INDArray dx = Linear.backward(x, w, r, dW, dB);
        assertGradient("x", () -> Linear.forward(x, w, b), r, x, dx);
        assertGradient("w", () -> Linear.forward(x, w, b), r, w, dW);
        assertGradient("b", () -> Linear.forward(x, w, b), r, b, dB);
    }

    @Test
    void backwardWithoutBiasAndIntoAView() {
        INDArray x = randn(3, 4);
        INDArray w = randn(4, 2);
        INDArray r = randn(3, 2);
        INDArray flat = Nd4j.rand(DataType.DOUBLE, 1, 20);
        INDArray dW = flat.get(NDArrayIndex.interval(0, 0, true),
                NDArrayIndex.interval(4, 12)).reshape('c', 4, 2);
        INDArray dx = Linear.backward(x, w, r, dW, null);
        assertClose(x.transpose().mmul(r), flat.get(NDArrayIndex.point(0),
                NDArrayIndex.interval(4, 12)).reshape(4, 2), 1e-12);
        assertClose(r.mmul(w.transpose()), dx, 1e-12);
    }

    @Test
    void lowerPrecisionAgreesWithDouble() {
        INDArray x = randn(6, 16);
        INDArray w = randn(16, 8).muli(0.25);
        INDArray b = randn(1, 8);
        INDArray r = randn(6, 8);
        INDArray ref = Linear.forward(x, w, b);
        INDArray refDx = Linear.backward(x, w, r, Nd4j.create(DataType.DOUBLE, 16, 8), null);
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.HALF}) {
            double tol = t == DataType.FLOAT ? 1e-5 : 1e-2;
            INDArray y = Linear.forward(x.castTo(t), w.castTo(t), b.castTo(t));
            assertTrue(y.dataType() == t);
            assertClose(ref, y, tol);
            INDArray dx = Linear.backward(x.castTo(t), w.castTo(t), r.castTo(t), Nd4j.create(t, 16, 8),
                    Nd4j.create(t, 1, 8));
            assertClose(refDx, dx, tol);
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Linear.forward(randn(2, 3), randn(4, 5), null));
        assertTrue(e.getMessage().contains("x.size(1)") && e.getMessage().contains("expected 4")
                && e.getMessage().contains("got 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Linear.forward(randn(2, 3), randn(3, 5), randn(1, 4)));
        assertThrows(IllegalArgumentException.class,
                () -> Linear.backward(randn(2, 3), randn(3, 5), randn(2, 4), randn(3, 5), null));
    }
}
