package org.xlstm.dl4j.backend.cpu;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Whether arrays can be handed to OpenBLAS directly, as ND4J's CPU backend itself does: on that backend
 * arrays live in host memory; with nd4j-cuda they live on the GPU and OpenBLAS may not be on the class
 * path. Nothing here loads OpenBLAS classes ({@link HostGemm} does, on first use).
 */
public final class HostBlas {
    private static final String OPENBLAS = "org.bytedeco.openblas.global.openblas_nolapack";
    private static volatile Boolean available;

    private HostBlas() {
    }

    public static boolean available() {
        Boolean result = available;
        if (result == null) {
            result = Nd4j.getEnvironment().isCPU() && classPresent(OPENBLAS);
            available = result;
        }
        return result;
    }

    /** Float32 or float64 with unit stride along the last of two dimensions: what a BLAS call can address. */
    public static boolean addressable(INDArray a) {
        return (a.dataType() == DataType.FLOAT || a.dataType() == DataType.DOUBLE) && a.rank() == 2
                && (a.stride(1) == 1 || a.size(1) == 1) && (a.stride(0) >= a.size(1) || a.size(0) == 1);
    }

    private static boolean classPresent(String name) {
        try {
            Class.forName(name, false, HostBlas.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
