package org.xlstm.dl4j.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;

import com.sun.jna.Function;
import com.sun.jna.Platform;

import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.LoggerFactory;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.MatrixMemoryKernelProvider;
import org.xlstm.dl4j.ops.FusedOps;

/**
 * The CPU backend ({@code xlstm.backend=cpu}): on ND4J's CPU backend (nd4j-native) with bytedeco's OpenBLAS
 * on the class path, float32 work runs in Java loops over host memory and OpenBLAS products on arrays in
 * place; float64 and other types fall back to the reference forms op by op. Registered in
 * META-INF/services.
 */
public final class CpuBackendProvider implements MatrixMemoryKernelProvider {
    public static final String NAME = "cpu";
    private static final String WAIT_POLICY = "OMP_WAIT_POLICY";
    private static final AtomicBoolean ADVISED = new AtomicBoolean();

    @Override
    public String backendName() {
        return NAME;
    }

    @Override
    public String unavailableReason() {
        if (!Nd4j.getEnvironment().isCPU()) {
            return "ND4J does not run on its CPU backend (nd4j-native)";
        }
        if (!HostBlas.available()) {
            return "bytedeco's OpenBLAS (org.bytedeco:openblas) is not on the class path";
        }
        return null;
    }

    @Override
    public MatrixMemoryKernel create() {
        return new CpuMatrixMemoryKernel();
    }

    @Override
    public FusedOps fusedOps() {
        return CpuFusedOps.INSTANCE;
    }

    @Override
    public boolean runsStepForms() {
        return true;
    }

    /**
     * libnd4jcpu's OpenMP threads spin after each parallel region by default, taking cores from the Java
     * threads and OpenBLAS calls of the CPU backend; the variable must be set before the JVM starts.
     */
    @Override
    public void onChosen() {
        if (!waitPolicySet() && ADVISED.compareAndSet(false, true)) {
            LoggerFactory.getLogger(CpuBackendProvider.class).info("{} is not set: setting {}=passive in the"
                    + " environment before starting Java usually speeds up training on the CPU backend (see the"
                    + " README, section Install).", WAIT_POLICY, WAIT_POLICY);
        }
    }

    /**
     * Java's view of the environment is a copy taken at start-up; a launcher may set the variable later through
     * libc (before libnd4jcpu reads it), so glibc's own environment is asked as well.
     */
    private static boolean waitPolicySet() {
        if (System.getenv(WAIT_POLICY) != null) {
            return true;
        }
        if (!Platform.isLinux()) {
            return false;
        }
        try {
            return Function.getFunction("c", "getenv").invokeString(new Object[] {WAIT_POLICY}, false) != null;
        } catch (UnsatisfiedLinkError noLibc) {
            return false;
        }
    }
}
