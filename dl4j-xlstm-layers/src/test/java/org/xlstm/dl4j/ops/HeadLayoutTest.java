package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class HeadLayoutTest {

    /**
     * The tiled host copy must put every element where ND4J's permuted copy puts it: several batch rows, step
     * counts below, at and past a tile, one head and several. Exact equality: it only moves values.
     */
    @Test
    void hostTilesMatchNd4jPermutedCopies() {
        long[][] shapes = {{1, 1, 1, 4}, {2, 31, 3, 5}, {3, 32, 4, 8}, {2, 70, 4, 16}, {1, 97, 1, 7}};
        for (long[] s : shapes) {
            long b = s[0];
            long t = s[1];
            long heads = s[2];
            long dh = s[3];
            String name = "B=" + b + " T=" + t + " NH=" + heads + " DH=" + dh;
            INDArray rows = Nd4j.rand(DataType.FLOAT, b * t, heads * dh);
            INDArray expected = rows.reshape(b, t, heads, dh).permute(0, 2, 1, 3).dup('c');
            INDArray heads4 = HeadLayout.toHeads(rows, b, t, heads, dh);
            assertArrayEquals(expected.shape(), heads4.shape(), name);
            assertEquals(expected, heads4, name);

            INDArray back = HeadLayout.fromHeads(heads4);
            assertArrayEquals(new long[] {b * t, heads * dh}, back.shape(), name);
            assertEquals(rows, back, name);
        }
    }

    /** Views, other orders and float64 take ND4J's copy and give the same layouts. */
    @Test
    void nonDenseAndDoubleArraysTakeTheGeneralCopy() {
        INDArray wide = Nd4j.rand(DataType.FLOAT, 6 * 5, 24);
        INDArray window = wide.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 16));
        INDArray expected = window.dup('c').reshape(2, 15, 3, 4).permute(0, 2, 1, 3).dup('c');
        assertEquals(expected, HeadLayout.toHeads(window.dup('f'), 2, 15, 3, 4));
        INDArray doubles = Nd4j.rand(DataType.DOUBLE, 2, 3, 15, 4);
        assertEquals(doubles.permute(0, 2, 1, 3).dup('c').reshape(30, 12), HeadLayout.fromHeads(doubles));
        INDArray fOrder = doubles.castTo(DataType.FLOAT).dup('f');
        assertEquals(fOrder.permute(0, 2, 1, 3).dup('c').reshape(30, 12), HeadLayout.fromHeads(fOrder));
    }
}
