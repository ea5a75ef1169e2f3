package org.xlstm.dl4j.runtime;

import java.util.concurrent.atomic.AtomicLong;

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
 *
 * <p>Streaming needs it too: every INDArray costs ND4J 1.0.0-M2.1 small native allocations (a buffer wrapper and
 * shape information, even inside a workspace), made on the stepping thread and freed after a GC on ND4J's
 * deallocator threads. glibc keeps the freed chunks in per-thread arenas, scattered between live ones, so over a
 * million rnnTimeStep calls the resident size crept up by a quarter (with MALLOC_ARENA_MAX=2 it did not), though
 * nothing held that memory. The free pages go back every {@link #STEPS_PER_RELEASE} layer steps.
 */
public final class NativeHeap {
    private static final Function MALLOC_TRIM = lookUp();
    /** A release took ~50 ms on a loaded 2-core machine: under a microsecond per step at this spacing. */
    private static final long STEPS_PER_RELEASE = 1 << 16;
    private static final AtomicLong STEPS = new AtomicLong();

    private NativeHeap() {
    }

    /**
     * Gives glibc's free pages back to the operating system now (what the layers do after a workspace shrinks
     * and every {@link #STEPS_PER_RELEASE} layer steps): for an application that measures its resident memory,
     * or has just finished a memory-hungry phase. A no-op elsewhere than glibc.
     */
    public static void releaseFreePages() {
        if (MALLOC_TRIM != null) {
            MALLOC_TRIM.invokeInt(new Object[] {0});
        }
    }

    /** Counts one layer step of rnnTimeStep; every {@link #STEPS_PER_RELEASE}-th releases the free pages. */
    static void afterStep() {
        if (STEPS.incrementAndGet() % STEPS_PER_RELEASE == 0) {
            releaseFreePages();
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
