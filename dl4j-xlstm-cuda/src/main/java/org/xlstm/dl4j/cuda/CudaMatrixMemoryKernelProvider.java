package org.xlstm.dl4j.cuda;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.MatrixMemoryKernelProvider;

/**
 * Offers {@link CudaMatrixMemoryKernel} when ND4J runs on its CUDA backend and a CUDA driver and device are
 * present. Registered in META-INF/services; the layers module picks it up through ServiceLoader when the
 * system property {@code xlstm.backend} is {@code auto} (the default) or {@code cuda}.
 */
public final class CudaMatrixMemoryKernelProvider implements MatrixMemoryKernelProvider {

    @Override
    public String backendName() {
        return "cuda";
    }

    @Override
    public String unavailableReason() {
        try {
            String backend = Nd4j.getBackend().getClass().getName();
            if (!backend.contains("JCublasBackend")) {
                return "ND4J backend is " + backend + ", not the CUDA backend (nd4j-cuda-11.6)";
            }
            Loader.load(cudart.class);
            int rc = cudart.cuInit(0);
            if (rc != cudart.CUDA_SUCCESS) return "CUDA driver unavailable: cuInit failed (" + rc + ")";
            int[] count = new int[1];
            rc = cudart.cuDeviceGetCount(count);
            if (rc != cudart.CUDA_SUCCESS || count[0] == 0) return "no CUDA device found";
            return null;
        } catch (Throwable t) {
            // Missing classes or native libraries end up here (e.g. no org.bytedeco:cuda on the class path).
            return "CUDA runtime unavailable: " + t;
        }
    }

    @Override
    public MatrixMemoryKernel create() {
        return new CudaMatrixMemoryKernel();
    }
}
