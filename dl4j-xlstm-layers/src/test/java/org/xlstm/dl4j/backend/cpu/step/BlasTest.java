package org.xlstm.dl4j.backend.cpu.step;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

/**
 * The step form's products, at sizes that OpenBLAS would thread and {@link Blas} therefore splits into several
 * serial pieces (and at sizes it does not split), against plain double-precision loops: operands at non-zero
 * positions, which are restored, and nothing written outside the result.
 */
class BlasTest {
    private static final int LEAD = 3;
    private static final float GUARD = -7f;
    private final Random random = new Random(17);

    @Test
    void rowsTimesMatrixMatchesLoops() {
        // batch 1: gemv pieces of 9215 / 300 = 30 columns; batch 3: gemm pieces of 262144 / 900 = 291 columns
        for (int[] size : new int[][] {{1, 300, 100}, {3, 300, 500}, {1, 16, 8}, {2, 16, 8}}) {
            int batch = size[0];
            int in = size[1];
            int out = size[2];
            float[] x = values(batch * in);
            float[] w = values(in * out);
            double[] expected = new double[batch * out];
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < out; j++) {
                    for (int i = 0; i < in; i++) {
                        expected[b * out + j] += (double) x[b * in + i] * w[i * out + j];
                    }
                }
            }
            FloatPointer y = guarded(batch * out);
            Blas.rowsTimesMatrix(placed(x), placed(w), y, batch, in, out);
            assertResult("x W " + batch + "x" + in + "x" + out, expected, y);
        }
    }

    @Test
    void matrixTimesVectorMatchesLoops() {
        // pieces of 9215 / 100 = 92 rows
        for (int[] size : new int[][] {{130, 100}, {8, 8}}) {
            int rows = size[0];
            int cols = size[1];
            float[] a = values(rows * cols);
            float[] x = values(cols);
            double[] expected = new double[rows];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    expected[r] += (double) a[r * cols + c] * x[c];
                }
            }
            FloatPointer y = guarded(rows);
            Blas.matrixTimesVector(placed(a), 0, placed(x), 0, y, 0, rows, cols);
            assertResult("A x " + rows + "x" + cols, expected, y);
        }
    }

    @Test
    void vectorTimesMatrixMatchesLoops() {
        // pieces of 9215 / 100 = 92 columns
        for (int[] size : new int[][] {{100, 130}, {8, 8}}) {
            int rows = size[0];
            int cols = size[1];
            float[] x = values(rows);
            float[] a = values(rows * cols);
            double[] expected = new double[cols];
            for (int c = 0; c < cols; c++) {
                for (int r = 0; r < rows; r++) {
                    expected[c] += (double) x[r] * a[r * cols + c];
                }
            }
            FloatPointer y = guarded(cols);
            Blas.vectorTimesMatrix(placed(x), 0, placed(a), 0, y, 0, rows, cols);
            assertResult("x^T A " + rows + "x" + cols, expected, y);
        }
    }

    @Test
    void scaleAndAddOuterMatchesLoops() {
        // ger pieces of 8192 / 100 = 81 rows
        for (int[] size : new int[][] {{130, 100}, {8, 8}}) {
            int rows = size[0];
            int cols = size[1];
            float[] a = values(rows * cols);
            float[] x = values(rows);
            float[] y = values(cols);
            double[] expected = new double[rows * cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    expected[r * cols + c] = 0.75 * a[r * cols + c] + 0.5 * x[r] * (double) y[c];
                }
            }
            FloatPointer memory = placed(a);
            Blas.scaleAndAddOuter(memory, 0, 0.75f, 0.5f, placed(x), 0, placed(y), 0, rows, cols);
            assertResult("0.75 A + 0.5 x y^T " + rows + "x" + cols, expected, memory);
        }
    }

    /**
     * Offsets into shared buffers, as the step form passes them: the outer product of two ranges of one
     * buffer into a block of a larger matrix, then x^T A and A x on ranges of it, results written at offsets.
     */
    @Test
    void offsetsAddressRangesOfSharedBuffers() {
        int n = 100;
        int lines = 130;
        float[] vectors = values(3 * lines);
        float[] matrices = values(2 * lines * n);
        long second = (long) lines * n;
        double[] expectedA = new double[lines * n];
        for (int r = 0; r < lines; r++) {
            for (int c = 0; c < n; c++) {
                expectedA[r * n + c] = 2.0 * matrices[(int) second + r * n + c] + (double) vectors[r] * vectors[lines + c];
            }
        }
        FloatPointer vectorBuffer = placed(vectors);
        FloatPointer matrixBuffer = placed(matrices);
        Blas.scaleAndAddOuter(matrixBuffer, second, 2f, 1f, vectorBuffer, 0, vectorBuffer, lines, lines, n);
        float[] a = new float[lines * n];
        matrixBuffer.position(LEAD + second).get(a);
        matrixBuffer.position(LEAD);
        double[] updated = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            assertEquals(expectedA[i], a[i], 1e-4 * Math.max(1, Math.abs(expectedA[i])), "outer [" + i + "]");
            updated[i] = a[i];
        }
        double[] expectedRead = new double[n];
        for (int c = 0; c < n; c++) {
            for (int r = 0; r < lines; r++) {
                expectedRead[c] += (double) vectors[2 * lines + r] * updated[r * n + c];
            }
        }
        FloatPointer out = guarded(n + 5);
        Blas.vectorTimesMatrix(vectorBuffer, 2L * lines, matrixBuffer, second, out, 5, lines, n);
        float[] read = new float[n];
        out.position(LEAD + 5).get(read);
        out.position(LEAD);
        for (int c = 0; c < n; c++) {
            assertEquals(expectedRead[c], read[c], 1e-3 * Math.max(1, Math.abs(expectedRead[c])), "x^T A [" + c + "]");
        }
        double[] expectedProduct = new double[lines];
        for (int r = 0; r < lines; r++) {
            for (int c = 0; c < n; c++) {
                expectedProduct[r] += updated[r * n + c] * (double) vectors[lines + c];
            }
        }
        FloatPointer product = guarded(lines + 7);
        Blas.matrixTimesVector(matrixBuffer, second, vectorBuffer, lines, product, 7, lines, n);
        float[] products = new float[lines];
        product.position(LEAD + 7).get(products);
        for (int r = 0; r < lines; r++) {
            assertEquals(expectedProduct[r], products[r], 1e-3 * Math.max(1, Math.abs(expectedProduct[r])),
                    "A x [" + r + "]");
        }
        assertEquals(LEAD, vectorBuffer.position(), "position restored");
        assertEquals(LEAD, matrixBuffer.position(), "position restored");
    }

    private float[] values(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    /** The values after {@link #LEAD} guard elements, with the pointer's position on the first value. */
    private static FloatPointer placed(float[] values) {
        float[] all = new float[LEAD + values.length + LEAD];
        java.util.Arrays.fill(all, GUARD);
        System.arraycopy(values, 0, all, LEAD, values.length);
        return new FloatPointer(all).position(LEAD);
    }

    private static FloatPointer guarded(int n) {
        return placed(new float[n]);
    }

    private static void assertResult(String what, double[] expected, FloatPointer actual) {
        assertEquals(LEAD, actual.position(), what + ": position restored");
        float[] all = new float[LEAD + expected.length + LEAD];
        new FloatPointer(actual).position(0).get(all);
        for (int i = 0; i < LEAD; i++) {
            assertEquals(GUARD, all[i], what + ": wrote before the result");
            assertEquals(GUARD, all[LEAD + expected.length + i], what + ": wrote after the result");
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], all[LEAD + i], 1e-4 * Math.max(1, Math.abs(expected[i])), what + " [" + i + "]");
        }
    }
}
