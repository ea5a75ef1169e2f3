package org.xlstm.dl4j.kernel;

import org.xlstm.dl4j.ops.FusedOps;

/**
 * A backend: what it offers in place of the ND4J reference forms. Backends register through
 * {@link java.util.ServiceLoader} (META-INF/services) and {@link KernelRegistry} chooses one.
 */
public interface MatrixMemoryKernelProvider {

    /** The name {@value KernelRegistry#BACKEND} selects this backend by, e.g. {@code cpu} or {@code cuda}. */
    String backendName();

    /** Null when this backend can run on the active ND4J backend and device; otherwise why not. */
    String unavailableReason();

    MatrixMemoryKernel create();

    /** The backend's faster forms of the layer ops; {@link FusedOps#NONE} runs them all on ND4J. */
    default FusedOps fusedOps() {
        return FusedOps.NONE;
    }

    /**
     * Whether {@code rnnTimeStep} of a float32 layer may take the single-token step form (heap vectors and
     * OpenBLAS on the parameter views in host memory) instead of the sequence path.
     */
    default boolean runsStepForms() {
        return false;
    }

    /** Called once when the backend is chosen, e.g. to log advice about the environment. */
    default void onChosen() {
    }
}
