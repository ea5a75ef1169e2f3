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
 * before. The workspace sizes itself: a pass that needed more than its capacity ran with the excess
 * spilled to ordinary allocations, and the next pass gets a workspace large enough for it.
 */
final class ComputeWorkspace {
    /** Room above the largest pass seen, so that slightly longer inputs do not spill. */
    private static final double HEADROOM = 1.2;

    private final String id;

    ComputeWorkspace(String id) {
        this.id = id;
    }

    /** Opens the workspace for the current thread; close the returned scope when the pass is done. */
    MemoryWorkspace enter() {
        MemoryWorkspaceManager manager = Nd4j.getWorkspaceManager();
        MemoryWorkspace workspace = manager.checkIfWorkspaceExists(id)
                ? manager.getWorkspaceForCurrentThread(id) : null;
        if (workspace != null && workspace.getLastCycleAllocations() > workspace.getCurrentSize()) {
            long needed = (long) (workspace.getLastCycleAllocations() * HEADROOM);
            manager.destroyWorkspace(workspace);
            workspace = manager.getWorkspaceForCurrentThread(configuration(needed, ResetPolicy.BLOCK_LEFT), id);
        } else if (workspace == null) {
            workspace = manager.getWorkspaceForCurrentThread(configuration(0, ResetPolicy.BLOCK_LEFT), id);
        }
        return workspace.notifyScopeEntered();
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
