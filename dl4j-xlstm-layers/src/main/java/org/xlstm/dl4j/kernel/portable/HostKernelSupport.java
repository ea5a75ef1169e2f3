package org.xlstm.dl4j.kernel.portable;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.ops.HostArrays;

/** What the host (CPU, float32) chunkwise forward and backward share. */
final class HostKernelSupport {
    /**
     * Recurrences advanced together: enough products per batch to keep OpenBLAS's threads busy, few enough
     * that their native operands (0.5 to 0.7 MB each at L = 64, DH = 256) stay small.
     */
    static final int GROUP_SIZE = 32;

    private HostKernelSupport() {
    }

    /**
     * Pointer.memcpy would offset typed pointers by their position in bytes, not elements; BLAS's copy
     * takes them as float pointers.
     */
    static void copy(FloatPointer from, FloatPointer to, long length) {
        openblas_nolapack.cblas_scopy((int) length, from, 1, to, 1);
    }

    /** The sum of the element-wise product of two length-n ranges. */
    static float dot(FloatPointer a, FloatPointer b, long length) {
        return openblas_nolapack.cblas_sdot((int) length, a, 1, b, 1);
    }

    static float[] readAll(INDArray a, String what) {
        float[] values = new float[(int) a.length()];
        HostArrays.read(HostArrays.pointer(a, what), 0, values, 0, values.length);
        return values;
    }
}
