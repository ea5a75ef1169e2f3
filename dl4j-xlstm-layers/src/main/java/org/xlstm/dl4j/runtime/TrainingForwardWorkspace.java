package org.xlstm.dl4j.runtime;

import java.lang.ref.Cleaner;
import java.util.BitSet;
import java.util.function.Supplier;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.MemoryWorkspaceManager;
import org.nd4j.linalg.api.memory.abstracts.Nd4jWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The workspace one layer's training forward computes in. Unlike {@link ComputeWorkspace}, what is
 * allocated here must outlive the scope: the values kept for backprop are read by the backward pass,
 * after DL4J has opened and closed its own workspaces in between. They stay valid until this layer's next
 * training forward, which is exactly their lifetime.
 *
 * <p>How, with ND4J M2.1's workspaces: a scoped workspace rejects (in {@code dup}) any array it allocated
 * once its scope has closed, so this is a circular one (ND4J does not check those) whose offset is reset
 * by hand when a forward starts, when the previous forward's values are dead. A circular workspace wraps
 * around silently when full, so a forward that needed more than the capacity is recomputed in a larger
 * one; a fresh workspace has no capacity, so its first forward allocates everything outside it (ND4J
 * keeps those until the workspace is destroyed) and measures what the next one needs.
 *
 * <p>Workspaces are per thread and live as long as the thread. Each live layer holds a numbered slot, and a
 * garbage-collected layer's slot (with its memory) goes to the next layer created, so a process that
 * builds many networks keeps only as many of these workspaces as it has layers alive at once. Their bytes
 * count towards the {@link WorkspaceBudget}, but the cap cannot bound them: backprop needs the values of the
 * whole segment (truncated BPTT bounds the segment; mLSTM layers train long segments in pieces instead,
 * {@link PiecedTraining}, and do not use this workspace then).
 */
final class TrainingForwardWorkspace {
    /**
     * Room above the measured need. A forward of the same kind allocates the same arrays every time (its
     * temporaries go to a {@link ScratchScope}), so little is needed; one that needs more (an input laid out
     * differently, say) is recomputed once in a workspace sized for it. 1.2 held 140 MB more at T = 16384.
     */
    private static final double HEADROOM = 1.05;
    private static final Cleaner CLEANER = Cleaner.create();
    private static final BitSet SLOTS_TAKEN = new BitSet();

    private final String id;
    private Object lastCallKind;
    private MemoryWorkspace lastWorkspace;

    TrainingForwardWorkspace(Object owner) {
        int slot;
        synchronized (SLOTS_TAKEN) {
            slot = SLOTS_TAKEN.nextClearBit(0);
            SLOTS_TAKEN.set(slot);
        }
        this.id = "XLSTM_TRAINING_FORWARD_" + slot;
        CLEANER.register(owner, () -> {
            synchronized (SLOTS_TAKEN) {
                SLOTS_TAKEN.clear(slot);
            }
        });
    }

    /**
     * Runs {@code forward} with its allocations in this workspace; they stay valid until the next call.
     *
     * @param callKind what determines the sizes of the forward's arrays (shapes, data type, which optional
     *                 inputs are present). A forward of another kind than the last is run unbounded and
     *                 measured: ND4J's circular workspace loops forever on a single allocation larger than
     *                 its capacity, which only a forward of the same kind as the measured one rules out.
     */
    <T> T run(Object callKind, Supplier<T> forward) {
        MemoryWorkspaceManager manager = Nd4j.getWorkspaceManager();
        MemoryWorkspace workspace = manager.checkIfWorkspaceExists(id) ? manager.getWorkspaceForCurrentThread(id) : null;
        // Another thread, or a slot this layer just inherited, has its own sizes: measured afresh too.
        if (workspace == null || workspace != lastWorkspace || !callKind.equals(lastCallKind)) {
            if (workspace != null) {
                WorkspaceBudget.destroy(workspace);
            }
            workspace = WorkspaceBudget.create(configuration(0), id);
            lastCallKind = callKind;
        }
        while (true) {
            if (workspace.getLastCycleAllocations() > workspace.getCurrentSize()) {
                long needed = (long) (workspace.getLastCycleAllocations() * HEADROOM);
                WorkspaceBudget.destroy(workspace);
                // The measuring forward's arrays, freed with the workspace, would otherwise stay in glibc's
                // arenas next to the new workspace: the peak of a first training step.
                NativeHeap.releaseFreePages();
                workspace = WorkspaceBudget.create(configuration(needed), id);
            }
            lastWorkspace = workspace;
            boolean unbounded = workspace.getCurrentSize() == 0;
            T result;
            try (MemoryWorkspace scope = workspace.notifyScopeEntered()) {
                ((Nd4jWorkspace) workspace).reset();
                result = forward.get();
            }
            if (unbounded || workspace.getLastCycleAllocations() <= workspace.getCurrentSize()) {
                return result;
            }
            // It wrapped around and may have overwritten its own values: again, with room for all of them.
        }
    }

    /** Circular, so that ND4J accepts its arrays after the scope closed (it checks only scoped ones). */
    private static WorkspaceConfiguration configuration(long bytes) {
        return ComputeWorkspace.configuration(bytes, ResetPolicy.ENDOFBUFFER_REACHED);
    }
}
