package org.xlstm.dl4j.runtime;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.MemoryWorkspaceManager;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.MirroringPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A per-thread ND4J workspace for the temporaries of one pass (an inference forward or a backward), which
 * reuses one block of memory from call to call.
 *
 * <p>Why: outside workspaces every temporary is a fresh native allocation that is only freed when the Java
 * garbage collector gets to it, so allocations keep landing on untouched pages. On the 2-core VM these
 * benchmarks run on, first-touch page faults made allocation the largest single cost of a forward pass
 * (58% of the samples of an mLSTM block forward, E = 512, T = 2048), and native memory grew to gigabytes.
 *
 * <p>Nothing allocated inside may be used after {@link #enter()}'s scope closes: results must be copied out
 * before. The workspace follows the work: a pass that needed more than its capacity ran with the excess
 * spilled to ordinary allocations (freed when the next pass enters), and the next pass gets a workspace
 * large enough for it; once the last {@value #WINDOW} passes of a thread all needed less than
 * 1/{@value #SHRINK_FACTOR} of the capacity, the workspace is re-created at their need. So one long pass
 * costs its memory only until a few ordinary passes have run.
 */
final class ComputeWorkspace {
    /** Room above the need, so that slightly longer inputs do not spill. */
    static final double HEADROOM = 1.2;
    /** How many recent passes decide a shrink. */
    static final int WINDOW = 8;
    /** A workspace this many times larger than every recent need is re-created smaller. */
    static final int SHRINK_FACTOR = 2;

    private final String id;
    /** Per thread, as ND4J's workspaces are: the bytes the recent passes needed. */
    private final ThreadLocal<long[]> recentNeeds = ThreadLocal.withInitial(() -> new long[WINDOW]);
    private final ThreadLocal<int[]> passCount = ThreadLocal.withInitial(() -> new int[1]);

    ComputeWorkspace(String id) {
        this.id = id;
    }

    /** Opens the workspace for the current thread; close the returned scope when the pass is done. */
    MemoryWorkspace enter() {
        return enter(0);
    }

    /**
     * As {@link #enter()}, for a pass expected to need {@code expectedBytes}: the workspace is made large
     * enough beforehand, as spilled allocations are scattered over the C heap, which may keep them.
     */
    MemoryWorkspace enter(long expectedBytes) {
        long expected = (long) (expectedBytes * HEADROOM);
        MemoryWorkspace workspace = current();
        if (workspace == null) {
            workspace = WorkspaceBudget.create(configuration(expected, ResetPolicy.BLOCK_LEFT), id);
        } else {
            long[] needs = recentNeeds.get();
            int[] count = passCount.get();
            needs[count[0]++ % WINDOW] = workspace.getLastCycleAllocations();
            long recentMax = 0;
            for (long need : needs) {
                recentMax = Math.max(recentMax, need);
            }
            boolean outgrown = workspace.getLastCycleAllocations() > workspace.getCurrentSize();
            boolean oversized = count[0] >= WINDOW && workspace.getCurrentSize() > SHRINK_FACTOR * HEADROOM * recentMax;
            if (outgrown || oversized || workspace.getCurrentSize() < expected) {
                // Sized for the recent passes, within what the budget leaves; never below this pass's need.
                long fitting = Math.min((long) (recentMax * HEADROOM),
                        WorkspaceBudget.availableToCurrentThread(workspace.getCurrentSize()));
                WorkspaceBudget.destroy(workspace);
                // The spilled arrays of an outgrown pass, freed with the workspace, would otherwise stay in
                // glibc's arenas next to the new one, as would an oversized workspace's memory.
                NativeHeap.releaseFreePages();
                workspace = WorkspaceBudget.create(configuration(Math.max(expected, fitting),
                        ResetPolicy.BLOCK_LEFT), id);
            }
        }
        return workspace.notifyScopeEntered();
    }

    /** Bytes the current thread's workspace holds now (0 if it has none). */
    long currentSize() {
        MemoryWorkspace workspace = current();
        return workspace == null ? 0 : workspace.getCurrentSize();
    }

    /** Whether this workspace is the one the current thread allocates in now. */
    boolean isInnermost() {
        MemoryWorkspace innermost = Nd4j.getMemoryManager().getCurrentWorkspace();
        return innermost != null && id.equals(innermost.getId());
    }

    private MemoryWorkspace current() {
        MemoryWorkspaceManager manager = Nd4j.getWorkspaceManager();
        return manager.checkIfWorkspaceExists(id) ? manager.getWorkspaceForCurrentThread(id) : null;
    }

    /**
     * Fixed size, no learning: ND4J's learning policies free spilled allocations when a scope closes and
     * resize on their own schedule; here (and in {@link TrainingForwardWorkspace}) the size is chosen by the
     * caller instead.
     */
    static WorkspaceConfiguration configuration(long bytes, ResetPolicy reset) {
        return WorkspaceConfiguration.builder()
                .initialSize(bytes)
                .policyAllocation(AllocationPolicy.STRICT)
                .policyLearning(LearningPolicy.NONE)
                .policySpill(SpillPolicy.EXTERNAL)
                .policyReset(reset)
                .policyMirroring(MirroringPolicy.FULL)
                .build();
    }
}
