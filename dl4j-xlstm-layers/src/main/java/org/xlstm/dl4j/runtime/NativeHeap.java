package org.xlstm.dl4j.runtime;

import com.sun.jna.Function;
import com.sun.jna.Platform;

/**
 * Gives the C heap's free pages back to the operating system after a workspace has shrunk or been re-created.
 *
 * <p>Why: ND4J allocates workspaces and their spilled arrays with malloc. After one very long pass glibc keeps
 * the freed memory in its arenas (its mmap threshold has risen past those sizes), so the process stays hundreds
 * of megabytes larger than its work needs although nothing holds that memory. {@code malloc_trim(0)} returns
 * free pages only: it changes no setting and no memory anyone uses, so it is not a process-wide side effect
 * that other code can observe, beyond the smaller resident size. Elsewhere than glibc it is a no-op.
 */
final class NativeHeap {
    private static final Function MALLOC_TRIM = lookUp();

    private NativeHeap() {
    }

    static void releaseFreePages() {
        if (MALLOC_TRIM != null) {
            MALLOC_TRIM.invokeInt(new Object[] {0});
        }
    }

    private static Function lookUp() {
        if (!Platform.isLinux()) {
            return null;
        }
        try {
            return Function.getFunction("c", "malloc_trim");
        } catch (UnsatisfiedLinkError notGlibc) {
            return null;
        }
    }
}
