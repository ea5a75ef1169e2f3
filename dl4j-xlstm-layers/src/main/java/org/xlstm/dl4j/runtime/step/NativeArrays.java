package org.xlstm.dl4j.runtime.step;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Raw access to the memory of float32 ND4J arrays on the CPU backend. Reads and writes are bulk copies
 * ({@code FloatPointer.get/put} of a whole range is one native call; {@code get(i)} per element would be one
 * native call per element).
 */
final class NativeArrays {
    private NativeArrays() {
    }

    /**
     * A pointer to element 0 of {@code array}. The data buffer of a view (DL4J's parameter views of the flat
     * parameter vector included) already starts at the view's offset: it is the pointer ND4J itself hands to
     * BLAS ({@code CpuLevel2}, {@code CpuLevel3}).
     */
    static FloatPointer pointer(INDArray array, String what) {
        if (array.dataType() != DataType.FLOAT || !isDense(array)) {
            throw new IllegalStateException(what + ": the step form needs a contiguous c-order float32 array, got "
                    + array.dataType() + " " + array.ordering() + " " + array.shapeInfoToString());
        }
        return (FloatPointer) array.data().addressPointer();
    }

    /** Whether the elements lie in c order without gaps (strides of size-1 dimensions do not matter). */
    static boolean isDense(INDArray array) {
        long expected = 1;
        for (int i = array.rank() - 1; i >= 0; i--) {
            if (array.size(i) != 1 && array.stride(i) != expected) {
                return false;
            }
            expected *= array.size(i);
        }
        return true;
    }

    /** A pointer {@code offset} elements after {@code base}'s position; {@code base} is left as it is. */
    static FloatPointer at(FloatPointer base, long offset) {
        return new FloatPointer(base).position(base.position() + offset);
    }

    static void read(FloatPointer from, long offset, float[] to, int toOffset, int length) {
        at(from, offset).get(to, toOffset, length);
    }

    static void write(float[] from, int fromOffset, int length, FloatPointer to, long offset) {
        at(to, offset).put(from, fromOffset, length);
    }
}
