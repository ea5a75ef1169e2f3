package org.xlstm.dl4j.runtime.step;

import java.util.List;

import org.xlstm.dl4j.ops.HostBlas;
import org.xlstm.dl4j.runtime.GatedFeedForwardModule;
import org.xlstm.dl4j.runtime.MLSTMShape;
import org.xlstm.dl4j.runtime.SLSTMShape;

/**
 * Where the step form applies, and the step forms of the runtime's modules (for their
 * {@code SequenceModule.stepper()}).
 *
 * <p>It applies where {@link HostBlas#available()}: on ND4J's CPU backend with OpenBLAS on the class path.
 * Nothing here loads OpenBLAS classes; {@link Blas} is loaded on the first step.
 */
public final class StepForms {
    /** Set to {@code false} to run rnnTimeStep through the general sequence path even where the step form applies. */
    public static final String PROPERTY = "xlstm.step.fast";

    private StepForms() {
    }

    /** Whether single steps take the step form now (the system property is read on each call). */
    public static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(PROPERTY)) && HostBlas.available();
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
