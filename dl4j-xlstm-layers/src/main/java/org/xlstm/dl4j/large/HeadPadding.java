package org.xlstm.dl4j.large;

import java.util.Arrays;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Zero-padding of the last axis (head features) to the kernels' head size, and its inverse view. */
final class HeadPadding {

    private HeadPadding() {
    }

    /** {@code a} with its last axis zero-padded to {@code size}; {@code a} itself when it is already that size. */
    static INDArray pad(INDArray a, long size) {
        int last = a.rank() - 1;
        if (a.size(last) == size) {
            return a;
        }
        long[] zerosShape = a.shape();
        zerosShape[last] = size - a.size(last);
        return Nd4j.concat(last, a, Nd4j.zeros(a.dataType(), zerosShape));
    }

    /** The first {@code size} features of the last axis. */
    static INDArray crop(INDArray a, long size) {
        return a.size(a.rank() - 1) == size ? a : a.get(leading(a.rank(), size));
    }

    private static INDArrayIndex[] leading(int rank, long size) {
        INDArrayIndex[] index = new INDArrayIndex[rank];
        Arrays.fill(index, NDArrayIndex.all());
        index[rank - 1] = NDArrayIndex.interval(0, size);
        return index;
    }
}
