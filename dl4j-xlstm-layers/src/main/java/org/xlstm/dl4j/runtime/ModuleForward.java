package org.xlstm.dl4j.runtime;

import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Output of {@link SequenceModule#forward}: the output sequence, the state after it, and what backward needs. */
public final class ModuleForward {
    /** [B, T, nOut]. */
    public final INDArray output;
    /** The recurrent state after the last step, keyed by the module's state names (empty for stateless modules). */
    public final Map<String, INDArray> finalState;
    /** Module-private values for {@link SequenceModule#backward}; null when not computed for backward. */
    public final Object cache;

    public ModuleForward(INDArray output, Map<String, INDArray> finalState, Object cache) {
        this.output = output;
        this.finalState = finalState;
        this.cache = cache;
    }
}
