package org.xlstm.dl4j.streaming;

import java.util.HashMap;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.runtime.TimeStepJournal;
import org.xlstm.dl4j.runtime.XlstmRecurrentLayer;

/**
 * {@code rnnTimeStep} all or nothing across a network that also holds DL4J's own recurrent layers (LSTM,
 * SimpleRnn, ...), or whose step may fail outside the xLSTM layers: when any layer fails, every recurrent layer
 * gets back the state it had before the call.
 *
 * <p>Plain {@code rnnTimeStep} already is all or nothing for the xLSTM layers when an xLSTM layer fails
 * ({@link TimeStepJournal}); what it cannot reach from inside a layer is DL4J's layers' state, and a failure that
 * no xLSTM layer sees. This adds exactly that: it keeps the state maps of DL4J's recurrent layers (no copy: their
 * steps replace their state arrays rather than writing them) and, on a failure, restores them and rolls the
 * xLSTM layers back through the journal.
 */
public final class TransactionalTimeStep {

    private TransactionalTimeStep() {
    }

    /** {@link MultiLayerNetwork#rnnTimeStep(INDArray)}, leaving every layer's state unchanged if it throws. */
    public static INDArray step(MultiLayerNetwork network, INDArray input) {
        Layer[] layers = network.getLayers();
        Map<Integer, Map<String, INDArray>> before = new HashMap<>();
        for (int i = 0; i < layers.length; i++) {
            if (isDl4jRecurrent(layers[i])) {
                before.put(i, network.rnnGetPreviousState(i));
            }
        }
        TimeStepJournal.beginPass();
        try {
            return network.rnnTimeStep(input);
        } catch (RuntimeException | Error e) {
            TimeStepJournal.rollBackPass();
            before.forEach(network::rnnSetPreviousState);
            throw e;
        }
    }

    /** {@link ComputationGraph#rnnTimeStep(INDArray...)}, leaving every layer's state unchanged if it throws. */
    public static INDArray[] step(ComputationGraph graph, INDArray... inputs) {
        Map<String, Map<String, INDArray>> before = new HashMap<>();
        for (Layer layer : graph.getLayers()) {
            if (isDl4jRecurrent(layer)) {
                String name = layer.conf().getLayer().getLayerName();
                before.put(name, graph.rnnGetPreviousState(name));
            }
        }
        TimeStepJournal.beginPass();
        try {
            return graph.rnnTimeStep(inputs);
        } catch (RuntimeException | Error e) {
            TimeStepJournal.rollBackPass();
            before.forEach(graph::rnnSetPreviousState);
            throw e;
        }
    }

    /** xLSTM layers are left to the journal: reading their state would make their next step copy it. */
    private static boolean isDl4jRecurrent(Layer layer) {
        return layer instanceof RecurrentLayer && !(layer instanceof XlstmRecurrentLayer);
    }
}
