package org.xlstm.dl4j.streaming;

import java.util.HashMap;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code rnnTimeStep} all or nothing across a network: when any layer fails, every recurrent layer gets back
 * the state it had before the call, so the stream can go on (or be retried) as if the failed step never was.
 *
 * <p>Why a snapshot rather than validating first: every xLSTM layer already refuses non-finite input before it
 * changes anything, but layer k can still fail after layers before it have stepped (non-finite parameters, an
 * overflow, a DL4J layer's own error), and no check of the network input can foresee that. Taking the state
 * maps costs no copy for DL4J's layers, whose steps replace their state arrays; an xLSTM layer whose state is
 * handed out computes its next step on fresh arrays instead of in place, which keeps the snapshot intact.
 */
public final class TransactionalTimeStep {

    private TransactionalTimeStep() {
    }

    /** {@link MultiLayerNetwork#rnnTimeStep(INDArray)}, leaving every layer's state unchanged if it throws. */
    public static INDArray step(MultiLayerNetwork network, INDArray input) {
        Layer[] layers = network.getLayers();
        Map<Integer, Map<String, INDArray>> before = new HashMap<>();
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] instanceof RecurrentLayer) {
                before.put(i, network.rnnGetPreviousState(i));
            }
        }
        try {
            return network.rnnTimeStep(input);
        } catch (RuntimeException | Error e) {
            before.forEach(network::rnnSetPreviousState);
            throw e;
        }
    }

    /** {@link ComputationGraph#rnnTimeStep(INDArray...)}, leaving every layer's state unchanged if it throws. */
    public static INDArray[] step(ComputationGraph graph, INDArray... inputs) {
        Map<String, Map<String, INDArray>> before = graph.rnnGetPreviousStates();
        try {
            return graph.rnnTimeStep(inputs);
        } catch (RuntimeException | Error e) {
            graph.rnnSetPreviousStates(before);
            throw e;
        }
    }
}
