package org.xlstm.dl4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.xlstm.dl4j.kernel.portable.PortableMatrixMemoryKernel;
import org.xlstm.dl4j.ops.FusedOps;

/** The switch {@code xlstm.backend}: what each value selects, and the errors for values that cannot run. */
class KernelRegistryTest {

    @Test
    void autoChoosesTheCpuBackendOnNd4jNative() {
        BackendSwitch.on(KernelRegistry.AUTO, () -> {
            assertEquals("cpu", KernelRegistry.activeBackend());
            assertEquals("cpu", KernelRegistry.matrixMemory().name());
            assertTrue(KernelRegistry.runsStepForms());
            assertTrue(KernelRegistry.fusedOps() != FusedOps.NONE);
        });
    }

    @Test
    void referenceRunsNoBackendCode() {
        BackendSwitch.on(KernelRegistry.REFERENCE, () -> {
            assertEquals(KernelRegistry.REFERENCE, KernelRegistry.activeBackend());
            assertSame(PortableMatrixMemoryKernel.INSTANCE, KernelRegistry.matrixMemory());
            assertSame(FusedOps.NONE, KernelRegistry.fusedOps());
            assertFalse(KernelRegistry.runsStepForms());
        });
    }

    @Test
    void anUnknownBackendNamesTheKnownOnes() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BackendSwitch.on("opencl", KernelRegistry::activeBackend));
        assertTrue(e.getMessage().contains("xlstm.backend=opencl") && e.getMessage().contains("cpu")
                && e.getMessage().contains(KernelRegistry.REFERENCE), e.getMessage());
    }

    @Test
    void theSwitchIsRestoredAfterUse() {
        String before = System.getProperty(KernelRegistry.BACKEND);
        BackendSwitch.on(KernelRegistry.REFERENCE, () -> assertEquals("reference", KernelRegistry.activeBackend()));
        assertEquals(before, System.getProperty(KernelRegistry.BACKEND));
        assertEquals("cpu", KernelRegistry.activeBackend());
    }
}
