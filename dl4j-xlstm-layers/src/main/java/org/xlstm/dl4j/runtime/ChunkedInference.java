package org.xlstm.dl4j.runtime;

import java.util.Map;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One layer's inference forward, cut along time into slices that each fit what the {@link WorkspaceBudget}
 * leaves, with the recurrent state carried from slice to slice. The cells are recurrences and the chunkwise
 * mLSTM form carries its state between chunks anyway, so slicing gives the same numbers as one pass, while
 * the compute workspace holds one slice's temporaries instead of the whole sequence's: memory independent
 * of the sequence length, beyond the input and output arrays themselves.
 *
 * <p>How big a slice may be is learned: the workspace bytes one row (one sequence at one step) took in the
 * layer's last slice. A layer's first pass over many rows starts with a probe slice of about
 * {@value #PROBE_ROWS} rows to measure it. Slices are multiples of {@value #SLICE_ALIGNMENT} steps, so an
 * mLSTM chunk size that divides it chunks exactly as the whole pass would; no slice is shorter than that,
 * whatever the budget.
 */
final class ChunkedInference {
    /** The CPU backend's row block of matrix products ({@code HostGemm}), so slices round as the whole pass. */
    static final int SLICE_ALIGNMENT = 4_096;
    private static final long PROBE_ROWS = 4_096;

    /**
     * Gives steps [start, end) of the module input as [B, end - start, nIn] c-order, created in the workspace
     * that is open (the slice's): the input is never copied whole, only a slice at a time.
     */
    interface SliceSource {
        INDArray slice(long start, long end);
    }

    /** Receives each slice's module output [B, steps, nOut], valid only during the call: copy it. */
    interface SliceSink {
        void accept(long firstStep, INDArray sliceOutput);
    }

    private final SequenceModule module;
    private final ComputeWorkspace workspace;
    /** Workspace bytes per row in this layer's last slice; 0 until one ran. */
    private double bytesPerRow;

    ChunkedInference(SequenceModule module, ComputeWorkspace workspace) {
        this.module = module;
        this.workspace = workspace;
    }

    /**
     * @param batch the number of sequences B
     * @param time  the number of steps T
     * @param input the module input, a slice at a time
     * @param mask  [B, T] or null, outside workspaces
     * @param state the initial state, or null for a fresh sequence
     * @return the state after the last step, detached from workspaces
     */
    Map<String, INDArray> forward(Map<String, INDArray> params, long batch, long time, SliceSource input,
                                  INDArray mask, Map<String, INDArray> state, SliceSink output) {
        Map<String, INDArray> carried = state;
        for (long start = 0; start < time; ) {
            long steps = sliceSteps(batch, time - start);
            long end = start + steps;
            MemoryWorkspace scope = workspace.enter((long) (bytesPerRow * batch * steps));
            try (MemoryWorkspace closing = scope) {
                INDArray xs = input.slice(start, end);
                INDArray ms = mask == null || (start == 0 && end == time) ? mask
                        : mask.get(NDArrayIndex.all(), NDArrayIndex.interval(start, end)).dup('c');
                ModuleForward result = module.forward(params, xs, ms, carried, false);
                output.accept(start, result.output);
                carried = XlstmRecurrentLayer.detached(result.finalState);
            }
            bytesPerRow = scope.getLastCycleAllocations() / (double) (batch * steps);
            start = end;
        }
        return carried;
    }

    /** How many of the {@code remaining} steps the next slice takes. */
    private long sliceSteps(long batch, long remaining) {
        long steps;
        if (bytesPerRow == 0) {
            steps = Math.max(SLICE_ALIGNMENT, PROBE_ROWS / batch);
        } else {
            long budget = WorkspaceBudget.availableToCurrentThread(workspace.currentSize());
            steps = (long) (budget / (ComputeWorkspace.HEADROOM * bytesPerRow * batch));
        }
        if (steps >= remaining) {
            return remaining;
        }
        // The floor of one alignment unit can exceed what is left at the end of the sequence.
        return Math.min(remaining, Math.max(SLICE_ALIGNMENT, steps / SLICE_ALIGNMENT * SLICE_ALIGNMENT));
    }
}
