package org.xlstm.dl4j.runtime;

import java.util.function.Supplier;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The scope of one module's training forward. Everything the forward allocates stays in the workspace it
 * was called in (the layer's training workspace) until backprop, including values that die within the
 * forward; here those temporaries go to a scratch workspace instead, and only what {@link #keep} allocates
 * (the values the backward reads, the output, the final state) lands in the caller's workspace.
 *
 * <p>The scratch is the backward workspace: training forwards and backward passes of a thread never overlap,
 * so the forward's temporaries cost no memory of their own. A forward that already runs in the backward
 * workspace (backprop recomputing a missing forward) keeps everything there, as does an inference forward.
 */
final class ForwardScratch implements AutoCloseable {
    private static final ForwardScratch NONE = new ForwardScratch(null, null);

    /** The caller's workspace, or null outside workspaces; only used while a scratch scope is open. */
    private final MemoryWorkspace outer;
    private final MemoryWorkspace scratch;

    private ForwardScratch(MemoryWorkspace outer, MemoryWorkspace scratch) {
        this.outer = outer;
        this.scratch = scratch;
    }

    /** Opens the scratch scope of a training forward; without {@code forBackward} a scope that keeps all. */
    static ForwardScratch open(boolean forBackward) {
        if (!forBackward || XlstmRecurrentLayer.BACKWARD.isInnermost()) {
            return NONE;
        }
        MemoryWorkspace outer = Nd4j.getMemoryManager().getCurrentWorkspace();
        return new ForwardScratch(outer, XlstmRecurrentLayer.BACKWARD.enter());
    }

    /** Runs {@code allocation} with its arrays in the caller's workspace, where they outlive this scope. */
    <T> T keep(Supplier<T> allocation) {
        if (scratch == null) {
            return allocation.get();
        }
        try (MemoryWorkspace kept = outer == null ? Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()
                : outer.notifyScopeBorrowed()) {
            return allocation.get();
        }
    }

    @Override
    public void close() {
        if (scratch != null) {
            scratch.close();
        }
    }
}
