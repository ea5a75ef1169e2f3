package org.xlstm.dl4j.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import org.xlstm.dl4j.kernel.portable.PortableMatrixMemoryKernel;
import org.xlstm.dl4j.kernel.portable.PortableScalarMemoryKernel;

/**
 * Chooses the kernel implementations the layers use.
 *
 * <p>Accelerated kernels (e.g. the fused CUDA ones in {@code dl4j-xlstm-cuda}) register through
 * {@link ServiceLoader} as {@link MatrixMemoryKernelProvider}; the first provider that reports itself
 * usable for the active ND4J backend wins. Setting the system property {@value #FORCE_PORTABLE} to
 * {@code true} always selects the portable ND4J kernels.
 */
public final class KernelRegistry {
    public static final String FORCE_PORTABLE = "xlstm.kernel.portable";

    private static volatile MatrixMemoryKernel matrixMemory;
    private static final ScalarMemoryKernel SCALAR_MEMORY = new PortableScalarMemoryKernel();

    private KernelRegistry() {
    }

    public static MatrixMemoryKernel matrixMemory() {
        if (Boolean.getBoolean(FORCE_PORTABLE)) {
            return PortableMatrixMemoryKernel.INSTANCE;
        }
        MatrixMemoryKernel chosen = matrixMemory;
        if (chosen == null) {
            chosen = discover();
            matrixMemory = chosen;
        }
        return chosen;
    }

    public static ScalarMemoryKernel scalarMemory() {
        return SCALAR_MEMORY;
    }

    private static MatrixMemoryKernel discover() {
        List<String> refusals = new ArrayList<>();
        for (MatrixMemoryKernelProvider provider : ServiceLoader.load(MatrixMemoryKernelProvider.class)) {
            String whyNot = provider.unavailableReason();
            if (whyNot == null) {
                return provider.create();
            }
            refusals.add(provider.getClass().getName() + ": " + whyNot);
        }
        if (!refusals.isEmpty()) {
            org.slf4j.LoggerFactory.getLogger(KernelRegistry.class)
                    .info("Using the portable matrix-memory kernel; accelerated kernels unavailable: {}", refusals);
        }
        return PortableMatrixMemoryKernel.INSTANCE;
    }
}
