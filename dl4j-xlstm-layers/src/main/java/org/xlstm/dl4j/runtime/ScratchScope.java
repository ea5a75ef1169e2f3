package org.xlstm.dl4j.runtime;

import java.util.function.Supplier;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A stretch of computation whose temporaries die with it. ND4J frees nothing in a workspace before the
 * workspace's scope closes, so every temporary of a training forward would stay in the layer's training
 * workspace until backprop, and every temporary of a backward in the backward workspace until its end. In a
 * scratch scope they go to a scratch workspace instead, reset when the scope closes, and only what
 * {@link #keep} allocates (the values read after the scope) lands in the caller's workspace.
 *
 * <p>Scratch workspaces: a training forward uses {@link XlstmRecurrentLayer#BACKWARD} (training forwards and
 * backward passes of a thread never overlap, so its temporaries cost no memory of their own); the stages of a
 * backward use {@link XlstmRecurrentLayer#BACKWARD_STAGES}. A scope opened while its scratch workspace is
 * already the innermost one (backprop recomputing a missing forward) keeps everything where it is.
 */
final class ScratchScope implements AutoCloseable {
    /** Keeps everything in the caller's workspace: the scope of an inference forward. */
    static final ScratchScope NONE = new ScratchScope(null, null);

    /** The caller's workspace, or null outside workspaces; only used while a scratch scope is open. */
    private final MemoryWorkspace outer;
    private final MemoryWorkspace scratch;

    private ScratchScope(MemoryWorkspace outer, MemoryWorkspace scratch) {
        this.outer = outer;
        this.scratch = scratch;
    }

    /** Opens a scope whose temporaries go to {@code scratch}. */
    static ScratchScope open(ComputeWorkspace scratch) {
        if (scratch.isInnermost()) {
            return NONE;
        }
        MemoryWorkspace outer = Nd4j.getMemoryManager().getCurrentWorkspace();
        return new ScratchScope(outer, scratch.enter());
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
