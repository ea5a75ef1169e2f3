package org.xlstm.dl4j.cuda;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryKernelProvider;

import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProviderTest {

    @Test
    void registeredAsServiceAndExplainsWhyNotOnTheCpuBackend() {
        MatrixMemoryKernelProvider found = null;
        for (MatrixMemoryKernelProvider p : ServiceLoader.load(MatrixMemoryKernelProvider.class)) {
            if (p instanceof CudaMatrixMemoryKernelProvider) found = p;
        }
        assertNotNull(found, "CudaMatrixMemoryKernelProvider not registered in META-INF/services");
        String backend = Nd4j.getBackend().getClass().getName();
        if (!backend.contains("JCublasBackend")) {
            String reason = found.unavailableReason();
            assertNotNull(reason, "must be unavailable on " + backend);
            assertTrue(reason.contains("not the CUDA backend"), reason);
        }
    }
}
