package org.xlstm.samples;

import com.sun.jna.Function;
import com.sun.jna.Platform;

/**
 * Fixes glibc's trim threshold for this process ({@code mallopt(M_TRIM_THRESHOLD, bytes)}), as
 * {@code MALLOC_TRIM_THRESHOLD_} in the environment would.
 *
 * <p>Why the soak sets it: by default the threshold rises with the largest mapped chunk freed (to 5 MB in the soak's
 * JVM), and each thread's arena keeps a free top chunk below it. The JIT compiler threads and the VM thread use a few
 * MB of C heap while the step path compiles and then keep it resident (docs/memory.md, "What the soak's off-heap
 * reading holds"): 6-12 MB on a baseline of ~78 MB, more than the 5% the soak allows, though nothing holds it. With
 * the threshold fixed, a free gives such memory back, and the resident figure follows what is allocated. Only the
 * soak's own process is changed; the library never calls this.
 */
final class MallocTrimThreshold {

    /** {@code M_TRIM_THRESHOLD} in glibc's {@code malloc.h}. */
    private static final int M_TRIM_THRESHOLD = -1;

    private MallocTrimThreshold() {
    }

    /** Sets the threshold (0 to {@code Integer.MAX_VALUE}); false where this is not glibc or glibc refused it. */
    static boolean set(int bytes) {
        if (!Platform.isLinux()) {
            return false;
        }
        try {
            Function mallopt = Function.getFunction("c", "mallopt");
            return mallopt.invokeInt(new Object[] {M_TRIM_THRESHOLD, bytes}) == 1;
        } catch (UnsatisfiedLinkError notGlibc) {
            return false;
        }
    }
}
