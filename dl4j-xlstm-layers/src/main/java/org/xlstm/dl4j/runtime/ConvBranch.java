package org.xlstm.dl4j.runtime;

import java.util.Map;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.ops.Activations;
import org.xlstm.dl4j.ops.CausalDepthwiseConv;

/**
 * The convolutional branch of both xLSTM cells, {@code silu(causal_depthwise_conv(x))}, on rows [B*T, C]
 * with the K-1 previous inputs carried as recurrent state. Padded steps enter the conv as zeros, as a
 * sequence run alone is left-padded, and do not move the carried window.
 */
final class ConvBranch {
    private final int kernel;
    private final String weight;
    private final String bias;
    private final String stateKey;

    ConvBranch(int kernel, String weight, String bias, String stateKey) {
        this.kernel = kernel;
        this.weight = weight;
        this.bias = bias;
        this.stateKey = stateKey;
    }

    /** What the backward pass needs; the branch output is {@link #output} of it. */
    static final class Pass {
        INDArray input;
        INDArray history;
        INDArray preActivation;
        /** [B, T], or null. */
        INDArray mask;
        INDArray maskColumn;
    }

    /**
     * Writes the carried window into {@code finalState} and returns the pass; rows are [B*T, C]. The
     * activation is left to {@link #output}, so that a caller may recompute it in backward instead of keeping it.
     */
    Pass forward(Map<String, INDArray> params, INDArray rows, long batch, long time, INDArray mask,
                 Map<String, INDArray> state, Map<String, INDArray> finalState) {
        long channels = rows.size(1);
        Pass pass = new Pass();
        pass.mask = mask;
        pass.maskColumn = mask == null ? null : mask.reshape(batch * time, 1);
        INDArray masked = pass.maskColumn == null ? rows : rows.mulColumnVector(pass.maskColumn);
        pass.input = masked.reshape(batch, time, channels);
        pass.history = state == null ? null : state.get(stateKey);
        pass.preActivation = CausalDepthwiseConv.forward(pass.input, params.get(weight), params.get(bias), pass.history)
                .reshape(batch * time, channels);
        if (kernel > 1) {
            finalState.put(stateKey, CausalDepthwiseConv.nextHistory(pass.input, pass.history, kernel, mask));
        }
        return pass;
    }

    /** The branch output silu(conv) [B*T, C] of a pass, a new array. */
    static INDArray output(Pass pass) {
        return Activations.silu(pass.preActivation);
    }

    /** Writes the conv's parameter gradients and returns dL/drows [B*T, C] given dL/doutput. */
    INDArray backward(Map<String, INDArray> params, Pass pass, INDArray dOutput, Map<String, INDArray> grads) {
        return backward(params, pass, dOutput, null, grads, null);
    }

    /**
     * As {@link #backward(Map, Pass, INDArray, Map)} where the loss also depends on the window this pass carried
     * on: its gradient is read from {@code dFinalState} (under the state key; absent means zero). With
     * {@code dInitialState} not null, the gradient of the window the pass started from, if it had one, is
     * written there.
     */
    INDArray backward(Map<String, INDArray> params, Pass pass, INDArray dOutput, Map<String, INDArray> dFinalState,
                      Map<String, INDArray> grads, Map<String, INDArray> dInitialState) {
        INDArray dPre = Activations.siluBackward(pass.preActivation, dOutput).reshape(pass.input.shape());
        INDArray dInput = CausalDepthwiseConv.backward(pass.input, params.get(weight), pass.history, dPre,
                grads.get(weight), grads.get(bias));
        boolean historyGradient = dInitialState != null && pass.history != null;
        INDArray dHistory = historyGradient ? CausalDepthwiseConv.historyBackward(params.get(weight), dPre) : null;
        INDArray dNext = dFinalState == null ? null : dFinalState.get(stateKey);
        if (dNext != null) {
            // The carried window is made of rows of this pass's input (and of its own history, if few real steps).
            INDArray fromWindow = CausalDepthwiseConv.nextHistoryBackward(dNext, pass.mask, dInput);
            if (historyGradient) {
                dHistory.addi(fromWindow);
            }
        }
        if (historyGradient) {
            dInitialState.put(stateKey, dHistory);
        }
        INDArray dRows = dInput.reshape(pass.preActivation.shape());
        if (pass.maskColumn != null) {
            dRows.muliColumnVector(pass.maskColumn);
        }
        return dRows;
    }
}
