package org.xlstm.dl4j.backend.cpu.step;

import java.util.List;

import org.xlstm.dl4j.runtime.GatedFeedForwardModule;
import org.xlstm.dl4j.runtime.MLSTMShape;
import org.xlstm.dl4j.runtime.SLSTMShape;

/**
 * The step forms of the runtime's modules (for their {@code SequenceModule.stepper()}). The layer takes
 * them where the active backend runs step forms ({@link org.xlstm.dl4j.kernel.KernelRegistry#runsStepForms()}:
 * the CPU backend). Nothing here loads OpenBLAS classes; {@link Blas} is loaded on the first step.
 */
public final class StepForms {

    private StepForms() {
    }

    public static TokenStep mlstm(MLSTMShape shape, String prefix) {
        return new MLSTMStep(shape, prefix);
    }

    public static TokenStep slstm(SLSTMShape shape) {
        return new SLSTMStep(shape);
    }

    public static TokenStep feedForward(long size, long inner, GatedFeedForwardModule.Activation activation,
                                        boolean bias, String prefix) {
        return new FeedForwardStep(size, inner, activation, bias, prefix);
    }

    public static TokenStep layerNorm(long size, String weight) {
        return new LayerNormStep(size, weight);
    }

    public static TokenStep residual(long size, String normWeight, TokenStep inner) {
        return new ResidualStep(size, normWeight, inner);
    }

    /** @param intermediateSizes the output sizes of all steps but the last */
    public static TokenStep sequential(List<TokenStep> steps, int[] intermediateSizes) {
        return new SequentialStep(steps, intermediateSizes);
    }
}
