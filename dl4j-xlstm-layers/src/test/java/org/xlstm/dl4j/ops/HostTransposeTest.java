package org.xlstm.dl4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class HostTransposeTest {

    /**
     * Against ND4J's permuted copy, exactly (values only move): one element, sizes that are not multiples of
     * the cache block, several batch rows, and a matrix larger than one heap band, whose bands are written
     * per output row segment.
     */
    @Test
    void matchesNd4jPermutedCopy() {
        long[][] shapes = {{1, 1, 1}, {1, 33, 65}, {3, 7, 100}, {2, 600, 2000}};
        for (long[] shape : shapes) {
            INDArray x = Nd4j.rand(DataType.FLOAT, shape);
            INDArray expected = x.permute(0, 2, 1).dup('c');
            INDArray actual = HostTranspose.swapLastTwo(x);
            assertArrayEquals(expected.shape(), actual.shape());
            assertEquals(expected, actual, java.util.Arrays.toString(shape));
        }
    }

    /** Views, f-order and float64 take ND4J's copy; the target may be a view too. */
    @Test
    void otherLayoutsTakeTheGeneralCopy() {
        INDArray wide = Nd4j.rand(DataType.FLOAT, 2, 5, 9);
        INDArray view = wide.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(2, 8));
        assertEquals(view.permute(0, 2, 1).dup('c'), HostTranspose.swapLastTwo(view));
        INDArray fOrder = Nd4j.rand(DataType.FLOAT, 2, 5, 6).dup('f');
        assertEquals(fOrder.permute(0, 2, 1).dup('c'), HostTranspose.swapLastTwo(fOrder));
        INDArray doubles = Nd4j.rand(DataType.DOUBLE, 2, 5, 6);
        assertEquals(doubles.permute(0, 2, 1).dup('c'), HostTranspose.swapLastTwo(doubles));
        INDArray target = Nd4j.zeros(DataType.FLOAT, 2, 8, 5);
        INDArray window = target.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 7), NDArrayIndex.all());
        HostTranspose.swapLastTwoInto(view, window);
        assertEquals(view.permute(0, 2, 1), window);
        assertEquals(0.0, target.get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all()).sumNumber()
                .doubleValue(), 0.0);
    }
}
