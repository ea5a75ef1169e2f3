package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * HostGemmBatch against float64 ND4J products: transposed and plain operands, beta 0 and not, leading
 * dimensions wider than the operands, and sizes on both sides of the small-matrix limit (so both the batch
 * call, where this machine's OpenBLAS allows it, and the Java-threaded route run).
 */
class HostGemmBatchTest {

    /** {m, n, k, transpose A, transpose B} per product; the first set is past 100^3, the second is not. */
    private static final int[][] LARGE = {{64, 64, 256, 0, 1}, {64, 256, 320, 0, 0}, {256, 256, 64, 1, 0},
            {128, 96, 130, 1, 1}};
    private static final int[][] SMALL = {{4, 4, 8, 0, 1}, {16, 8, 12, 0, 0}, {8, 8, 4, 1, 0}, {3, 5, 7, 1, 1}};

    @Test
    void largeProductsMatchTheReference() {
        check("large, batched", LARGE, true);
        check("large, one by one", LARGE, false);
    }

    @Test
    void smallProductsMatchTheReference() {
        // asked to batch, a batch with small products must still run them one by one, not crash
        check("small, batched", SMALL, true);
        check("small, one by one", SMALL, false);
    }

    @Test
    void mixedSizesMatchTheReference() {
        int[][] mixed = {LARGE[0], SMALL[1], LARGE[2], SMALL[3]};
        check("mixed, batched", mixed, true);
    }

    @Test
    void batchesOnlyPastTheSmallMatrixLimit() {
        assertFalse(HostGemmBatch.canBatch(100.0 * 100 * 100));
        assertFalse(HostGemmBatch.canBatch(64.0 * 64 * 128));
    }

    private static void check(String what, int[][] products, boolean batched) {
        Nd4j.getRandom().setSeed(7);
        HostGemmBatch batch = new HostGemmBatch(products.length, batched);
        INDArray[] expected = new INDArray[products.length];
        INDArray[] outputs = new INDArray[products.length];
        // the batch holds raw pointers only: the operands must stay reachable until it has run
        List<INDArray> operands = new ArrayList<>();
        for (int i = 0; i < products.length; i++) {
            int[] p = products[i];
            boolean ta = p[3] == 1;
            boolean tb = p[4] == 1;
            // operands are column windows of wider arrays, so every leading dimension exceeds the width
            INDArray a = window(ta ? p[2] : p[0], ta ? p[0] : p[2], 3);
            INDArray b = window(tb ? p[1] : p[2], tb ? p[2] : p[1], 5);
            INDArray cWide = Nd4j.rand(DataType.FLOAT, p[0], p[1] + 2);
            INDArray c = cWide.get(NDArrayIndex.all(), NDArrayIndex.interval(0, p[1]));
            float beta = i % 2 == 0 ? 0f : 0.75f;
            INDArray opA = (ta ? a.transpose() : a).dup('c').castTo(DataType.DOUBLE);
            INDArray opB = (tb ? b.transpose() : b).dup('c').castTo(DataType.DOUBLE);
            // dup before casting: ND4J M2.1 misreads casts of these column-window views
            expected[i] = opA.mmul(opB).addi(c.dup('c').castTo(DataType.DOUBLE).muli(beta));
            batch.add(ta, tb, p[0], p[1], p[2], pointer(a), (int) a.stride(0), pointer(b), (int) b.stride(0), beta,
                    pointer(c), (int) c.stride(0));
            outputs[i] = c;
            operands.add(a);
            operands.add(b);
        }
        batch.run();
        Reference.reachabilityFence(operands);
        for (int i = 0; i < products.length; i++) {
            double scale = Math.max(1.0, expected[i].amaxNumber().doubleValue());
            double diff = expected[i].sub(outputs[i].dup('c').castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
            assertTrue(diff <= 1e-5 * scale, what + " product " + i + " (batch call available: "
                    + HostGemmBatch.canBatch(Double.MAX_VALUE) + "): max |diff| " + diff);
        }
    }

    /** Columns [0, cols) of a [rows, cols + extra] float32 array. */
    private static INDArray window(int rows, int cols, int extra) {
        return Nd4j.rand(DataType.FLOAT, rows, cols + extra).subi(0.5)
                .get(NDArrayIndex.all(), NDArrayIndex.interval(0, cols));
    }

    private static FloatPointer pointer(INDArray view) {
        return (FloatPointer) view.data().addressPointer();
    }
}
