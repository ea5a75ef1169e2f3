package org.xlstm.dl4j.kernel;

/** Service-provider hook for accelerated matrix-memory kernels (see {@link KernelRegistry}). */
public interface MatrixMemoryKernelProvider {

    /** Null when this provider can run on the active ND4J backend and device; otherwise why not. */
    String unavailableReason();

    MatrixMemoryKernel create();
}
