package org.xlstm.dl4j.runtime;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.backend.cpu.step.TokenStep;

/**
 * A piece of an xLSTM layer (a cell layer, a feed-forward, a residual wrapper) with its own hand-written
 * forward and backward over whole sequences, and the same math as a SameDiff graph.
 *
 * <p>Sequences are [B, T, F] c-order inside modules (one row per time step, so projections are single
 * matrix products over B*T rows). The mask is [B, T] (1 = real step) or null. Parameters are looked up by
 * the names the module declares in {@link #parameters()}; gradients are written into same-named views.
 */
public interface SequenceModule {

    long inputSize();

    long outputSize();

    /** The parameters in their order in the flat parameter vector. */
    List<ParamSpec> parameters();

    /**
     * @param state          recurrent state from a previous call (keys as produced in
     *                       {@link ModuleForward#finalState}), or null for a fresh sequence
     * @param forBackward    whether {@link #backward} will be called with the result
     */
    ModuleForward forward(Map<String, INDArray> params, INDArray x, INDArray mask, Map<String, INDArray> state,
                          boolean forBackward);

    /** Writes parameter gradients into {@code gradients} (assign semantics) and returns dL/dx [B, T, nIn]. */
    INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy, Map<String, INDArray> gradients);

    /**
     * Whether {@link #backward(Map, ModuleForward, INDArray, Map, Map, Map)} is supported: what training a
     * long sequence in pieces of time ({@link PiecedTraining}) needs.
     */
    default boolean hasStateGradients() {
        return false;
    }

    /**
     * The number of steps pieces of a sequence should be a multiple of, so that a piece is computed as the same
     * steps of the whole sequence are (the mLSTM chunk size).
     */
    default int timeAlignment() {
        return 1;
    }

    /**
     * {@link #backward(Map, ModuleForward, INDArray, Map)} of a forward that is one piece of a longer sequence:
     * the loss also depends on its final state, whose gradient {@code dFinalState} holds by state name (a state
     * it lacks has gradient zero), and the gradient of the state the forward started from, where it was given
     * one, is written into {@code dInitialState}. The mLSTM stabilizer m, a constant of every backward, has
     * none. Only where {@link #hasStateGradients()} holds.
     */
    default INDArray backward(Map<String, INDArray> params, ModuleForward forward, INDArray dy,
                              Map<String, INDArray> dFinalState, Map<String, INDArray> gradients,
                              Map<String, INDArray> dInitialState) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no state gradients");
    }

    /**
     * The same computation as a SameDiff graph on a fresh sequence: x [B, T, nIn] to [B, T, nOut]; mask [B, T]
     * or null. The executable specification used to check the hand-written runtime.
     */
    SDVariable define(SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask);

    /**
     * The single-token inference form of this module (float32, CPU; see {@link TokenStep}), or empty where
     * there is none: a layer whose module has no step form runs rnnTimeStep through {@link #forward}.
     */
    default Optional<TokenStep> stepper() {
        return Optional.empty();
    }
}
