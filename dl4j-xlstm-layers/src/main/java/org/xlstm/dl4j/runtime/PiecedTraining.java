package org.xlstm.dl4j.runtime;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.xlstm.dl4j.conf.XlstmLayerConfig;

/**
 * Training a long sequence in pieces of time, with the same gradients as the whole-sequence backward (exact
 * checkpointing, not truncated backprop). The training forward of a sequence longer than a piece runs as an
 * inference forward, piece after piece with the recurrent state carried, and keeps only the state each piece
 * starts from. The backward goes over the pieces in reverse: it recomputes a piece's training forward from
 * its initial state, runs its backward with the gradient of its final state (from the piece after it), and
 * passes the gradient of its initial state on to the piece before; parameter gradients are summed over the
 * pieces. So a training step holds one piece's residuals instead of the whole sequence's, at the cost of one
 * more forward over the sequence.
 *
 * <p>Applies where the layer's module has state gradients ({@link SequenceModule#hasStateGradients}: the mLSTM
 * layer and block on a kernel that takes a final-state gradient); other modules train whole. The piece length
 * is the system property {@value #PROPERTY} (time steps, default {@value #DEFAULT_STEPS}), rounded down to a
 * multiple of the module's {@link SequenceModule#timeAlignment() alignment} (at least one), so that a piece
 * chunks as the same steps of the whole sequence do; sequences no longer than a piece train whole.
 */
final class PiecedTraining {
    static final String PROPERTY = "xlstm.training.piece";
    static final long DEFAULT_STEPS = 2048;
    /** Where a piece's recomputed training forward keeps its values during the piece's backward. */
    private static final ComputeWorkspace RECOMPUTE = new ComputeWorkspace("XLSTM_PIECE_RECOMPUTE");

    private final XlstmLayerConfig conf;
    private final SequenceModule module;
    /** The parameter-gradient views of a flat gradient vector, as the layer's. */
    private final Function<INDArray, Map<String, INDArray>> gradientViews;
    /** Where a piece other than the last writes its parameter gradients before they are summed; lazily. */
    private INDArray pieceGradientsFlat;
    private Map<String, INDArray> pieceGradients;

    PiecedTraining(XlstmLayerConfig conf, SequenceModule module,
                   Function<INDArray, Map<String, INDArray>> gradientViews) {
        this.conf = conf;
        this.module = module;
        this.gradientViews = gradientViews;
    }

    /** The steps of a piece for a training forward of {@code time} steps, or 0 where it runs whole. */
    long pieceSteps(long time) {
        long configured = configuredSteps();
        int alignment = module.timeAlignment();
        long steps = Math.max(alignment, configured / alignment * alignment);
        return time > steps && module.hasStateGradients() ? steps : 0;
    }

    private static long configuredSteps() {
        String value = System.getProperty(PROPERTY);
        if (value == null) {
            return DEFAULT_STEPS;
        }
        long steps;
        try {
            steps = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            steps = 0;
        }
        if (steps < 1) {
            throw new IllegalArgumentException("System property " + PROPERTY + " (time steps per piece of a long"
                    + " training sequence): expected a positive integer, got '" + value + "'");
        }
        return steps;
    }

    /** Steps [start, end) of mask [B, T] outside workspaces, or null without a mask. */
    static INDArray maskPiece(INDArray mask, long start, long end) {
        if (mask == null || (start == 0 && end == mask.size(1))) {
            return mask;
        }
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return mask.get(NDArrayIndex.all(), NDArrayIndex.interval(start, end)).dup('c');
        }
    }

    /**
     * The backward of a pieced training forward: writes the parameter gradients into {@code gradients} (views
     * of {@code gradientsFlat}) and dL/dinput into {@code dInput}.
     *
     * @param input       the checked layer input, in the layer's format
     * @param epsilon     the checked dL/doutput, in the layer's format
     * @param mask        [B, T] or null, outside workspaces
     * @param pieceSteps  the forward's {@link #pieceSteps}
     * @param pieceStates the state each piece started from, in order (null for a fresh sequence)
     * @param dInput      the input gradient, in the layer's format
     */
    void backward(Map<String, INDArray> params, INDArray input, INDArray epsilon, INDArray mask, long time,
                  long pieceSteps, List<Map<String, INDArray>> pieceStates, DataType dataType,
                  Map<String, INDArray> gradients, INDArray gradientsFlat, INDArray dInput) {
        Map<String, INDArray> dFinalState = new HashMap<>();
        for (int piece = pieceStates.size() - 1; piece >= 0; piece--) {
            long start = piece * pieceSteps;
            long end = Math.min(time, start + pieceSteps);
            boolean last = piece == pieceStates.size() - 1;
            // Gradients are assigned, not added, by modules: the last piece's go straight to the layer's.
            Map<String, INDArray> target = last ? gradients : pieceGradients(gradientsFlat);
            Map<String, INDArray> dInitialState = piece > 0 ? new HashMap<>() : null;
            INDArray pieceMask = maskPiece(mask, start, end);
            try (MemoryWorkspace recompute = RECOMPUTE.enter()) {
                INDArray x = SequenceLayout.moduleSlice(conf, input, start, end, dataType);
                ModuleForward forward = module.forward(params, x, pieceMask, pieceStates.get(piece), true);
                try (MemoryWorkspace scratch = XlstmRecurrentLayer.BACKWARD.enter()) {
                    INDArray dy = SequenceLayout.moduleSlice(conf, epsilon, start, end, dataType);
                    INDArray dx = module.backward(params, forward, dy, dFinalState, target, dInitialState);
                    SequenceLayout.writeInLayerFormat(conf, dx, SequenceLayout.timeSlice(conf, dInput, start, end));
                    dFinalState = dInitialState == null ? null : XlstmRecurrentLayer.detached(dInitialState);
                }
            }
            if (!last) {
                gradientsFlat.addi(pieceGradientsFlat);
            }
        }
    }

    private Map<String, INDArray> pieceGradients(INDArray gradientsFlat) {
        if (pieceGradientsFlat == null || pieceGradientsFlat.length() != gradientsFlat.length()
                || pieceGradientsFlat.dataType() != gradientsFlat.dataType()) {
            pieceGradientsFlat = Nd4j.createUninitializedDetached(gradientsFlat.dataType(), gradientsFlat.shape());
            pieceGradients = gradientViews.apply(pieceGradientsFlat);
        }
        return pieceGradients;
    }
}
