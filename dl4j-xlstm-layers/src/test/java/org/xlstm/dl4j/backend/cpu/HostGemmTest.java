package org.xlstm.dl4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xlstm.dl4j.ops.OpTestSupport.assertClose;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** OpenBLAS products on column windows of ND4J arrays, against ND4J's own matrix product. */
class HostGemmTest {

    @Test
    void productsOfWindowsMatchNd4j() {
        assertTrue(HostBlas.available(), "the CPU backend test run must exercise the host path");
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            // one row included: ND4J reports a row stride of 1 for fresh [1, n] arrays
            for (int rows : new int[] {1, 2, 5}) {
                INDArray a = Nd4j.rand(type, rows, 12);
                INDArray b = Nd4j.rand(type, 6, 8);
                INDArray c = Nd4j.zeros(type, rows, 10);
                HostGemm.gemm(false, false, rows, 8, 6, new HostGemm.Window(a, 3), new HostGemm.Window(b, 0),
                        new HostGemm.Window(c, 1));
                INDArray expected = a.get(columns(3, 9)).mmul(b);
                double tolerance = type == DataType.FLOAT ? 1e-5 : 1e-12;
                assertClose(expected, c.get(columns(1, 9)), tolerance);
                assertTrue(c.get(columns(0, 1)).amaxNumber().doubleValue() == 0.0, "wrote left of the window");
                assertTrue(c.get(columns(9, 10)).amaxNumber().doubleValue() == 0.0, "wrote right of the window");
            }
        }
    }

    @Test
    void accumulateAddsTheProductToTheWindow() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray a = Nd4j.rand(type, 5, 6);
            INDArray b = Nd4j.rand(type, 6, 4);
            INDArray c = Nd4j.rand(type, 5, 7);
            INDArray expected = c.dup();
            expected.get(columns(2, 6)).addi(a.mmul(b));
            HostGemm.gemm(false, false, 5, 4, 6, new HostGemm.Window(a, 0), new HostGemm.Window(b, 0),
                    new HostGemm.Window(c, 2), true);
            assertClose(expected, c, type == DataType.FLOAT ? 1e-5 : 1e-12);
        }
    }

    /** Every transpose, windows at column offsets, accumulation, an odd row count, float and double. */
    @Test
    void transposedWindowsMatchNd4j() {
        int m = 301;
        int n = 150;
        int k = 130;
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (boolean transposeA : new boolean[] {false, true}) {
                for (boolean transposeB : new boolean[] {false, true}) {
                    INDArray a = transposeA ? Nd4j.rand(type, k, m + 3) : Nd4j.rand(type, m, k + 3);
                    INDArray b = transposeB ? Nd4j.rand(type, n, k) : Nd4j.rand(type, k, n);
                    INDArray c = Nd4j.rand(type, m, n + 2);
                    INDArray opA = transposeA ? a.get(columns(3, m + 3)).transpose() : a.get(columns(3, k + 3));
                    INDArray opB = transposeB ? b.transpose() : b;
                    INDArray expected = c.dup();
                    expected.get(columns(2, n + 2)).addi(opA.mmul(opB));
                    HostGemm.gemm(transposeA, transposeB, m, n, k, new HostGemm.Window(a, 3), new HostGemm.Window(b, 0),
                            new HostGemm.Window(c, 2), true);
                    assertClose(expected, c, type == DataType.FLOAT ? 1e-4 : 1e-12);
                }
            }
        }
    }

    private static INDArrayIndex[] columns(long from, long to) {
        return new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.interval(from, to)};
    }
}
