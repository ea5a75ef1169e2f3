package org.xlstm.dl4j.streaming;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.deeplearning4j.nn.api.layers.RecurrentLayer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMBlock;

/**
 * Plain {@code rnnTimeStep} of a network of xLSTM layers is all or nothing: when layer k fails (here: a parameter
 * of a later layer set to a non-finite value, or non-finite input), no layer's stored state changes, bit for bit,
 * and the stream goes on as if the failed call never happened. The reference for "as it was" is a second network
 * with the same parameters that is given only the valid steps. Float32 takes the CPU step form (states updated
 * in place, double-buffered), float64 the general path.
 */
class AllOrNothingTimeStepTest {
    private static final int SIZE = 4;

    private static NeuralNetConfiguration.Builder base(DataType type) {
        return new NeuralNetConfiguration.Builder().seed(5).dataType(type).updater(new NoOp());
    }

    /** xLSTM blocks with a DL4J feed-forward layer between them and a DL4J output layer. */
    private static MultiLayerNetwork stack(DataType type) {
        MultiLayerNetwork net = new MultiLayerNetwork(base(type).list()
                .layer(new MLSTMBlock.Builder().innerSize(8).numHeads(2).qkvBlockSize(2).name("first").build())
                .layer(new DenseLayer.Builder().nOut(SIZE).activation(Activation.TANH).build())
                .layer(new SLSTMBlock.Builder().numHeads(2).name("second").build())
                .layer(new MLSTMBlock.Builder().innerSize(8).numHeads(2).qkvBlockSize(2).name("third").build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                        .activation(Activation.IDENTITY).build())
                .setInputType(InputType.recurrent(SIZE)).build());
        net.init();
        return net;
    }

    private static ComputationGraph graph(DataType type) {
        ComputationGraph graph = new ComputationGraph(base(type).graphBuilder().addInputs("in")
                .addLayer("first", new MLSTMBlock.Builder().innerSize(8).numHeads(2).qkvBlockSize(2).build(), "in")
                .addLayer("dense", new DenseLayer.Builder().nOut(SIZE).activation(Activation.TANH).build(), "first")
                .addLayer("second", new SLSTMBlock.Builder().numHeads(2).build(), "dense")
                .addLayer("third", new MLSTMBlock.Builder().innerSize(8).numHeads(2).qkvBlockSize(2).build(), "second")
                .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(3)
                        .activation(Activation.IDENTITY).build(), "third")
                .setOutputs("out").setInputTypes(InputType.recurrent(SIZE)).build());
        graph.init();
        return graph;
    }

    private static List<INDArray> steps(DataType type, int count) {
        Nd4j.getRandom().setSeed(11);
        List<INDArray> steps = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            steps.add(Nd4j.randn(type, 2, SIZE, 1));
        }
        return steps;
    }

    /** Every layer's state, flattened to exact values, keyed by layer and state name. */
    private static Map<String, double[]> states(MultiLayerNetwork net) {
        Map<String, double[]> all = new TreeMap<>();
        for (int i = 0; i < net.getnLayers(); i++) {
            if (!(net.getLayer(i) instanceof RecurrentLayer)) {
                continue;
            }
            int layer = i;
            net.rnnGetPreviousState(i).forEach((k, v) -> all.put(layer + "/" + k, v.dup('c').data().asDouble()));
        }
        return all;
    }

    private static Map<String, double[]> states(ComputationGraph graph) {
        Map<String, double[]> all = new TreeMap<>();
        graph.rnnGetPreviousStates().forEach((layer, state) ->
                state.forEach((k, v) -> all.put(layer + "/" + k, v.dup('c').data().asDouble())));
        return all;
    }

    private static void assertSameStates(Map<String, double[]> expected, Map<String, double[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        assertFalse(expected.isEmpty());
        expected.forEach((key, values) -> assertArrayEquals(values, actual.get(key), "state " + key));
    }

    private static void assertSameValues(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        assertArrayEquals(expected.dup('c').data().asDouble(), actual.dup('c').data().asDouble(), what);
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void aNetworkStepFailingInALaterLayerChangesNoLayersState(DataType type) {
        MultiLayerNetwork net = stack(type);
        MultiLayerNetwork reference = stack(type);
        List<INDArray> steps = steps(type, 6);
        for (int i = 0; i < 3; i++) {
            assertSameValues(reference.rnnTimeStep(steps.get(i)), net.rnnTimeStep(steps.get(i)), "step " + i);
        }
        INDArray weight = net.getLayer(3).paramTable().values().iterator().next();
        double saved = weight.getDouble(0);
        weight.putScalar(0, Double.POSITIVE_INFINITY);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.rnnTimeStep(steps.get(3)));
        assertTrue(e.getMessage().contains("'third'"), e.getMessage());
        // Read only now: the failed step ran on states nobody had looked at (the step form's in-place case).
        assertSameStates(states(reference), states(net));
        weight.putScalar(0, saved);
        for (int i = 3; i < 6; i++) {
            assertSameValues(reference.rnnTimeStep(steps.get(i)), net.rnnTimeStep(steps.get(i)), "step " + i);
        }
        assertSameStates(states(reference), states(net));
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void theSameInAComputationGraph(DataType type) {
        ComputationGraph graph = graph(type);
        ComputationGraph reference = graph(type);
        List<INDArray> steps = steps(type, 5);
        for (int i = 0; i < 2; i++) {
            assertSameValues(reference.rnnTimeStep(steps.get(i))[0], graph.rnnTimeStep(steps.get(i))[0], "step " + i);
        }
        INDArray weight = graph.getLayer("second").paramTable().values().iterator().next();
        double saved = weight.getDouble(0);
        weight.putScalar(0, Double.NaN);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> graph.rnnTimeStep(steps.get(2)));
        assertTrue(e.getMessage().contains("'second'"), e.getMessage());
        assertSameStates(states(reference), states(graph));
        weight.putScalar(0, saved);
        for (int i = 2; i < 5; i++) {
            assertSameValues(reference.rnnTimeStep(steps.get(i))[0], graph.rnnTimeStep(steps.get(i))[0], "step " + i);
        }
    }

    @Test
    void aFailureInOneNetworkNeverUndoesTheLastStepOfAnotherOnTheSameThread() {
        MultiLayerNetwork a = stack(DataType.FLOAT);
        MultiLayerNetwork aReference = stack(DataType.FLOAT);
        MultiLayerNetwork b = stack(DataType.FLOAT);
        MultiLayerNetwork bReference = stack(DataType.FLOAT);
        List<INDArray> steps = steps(DataType.FLOAT, 3);
        for (MultiLayerNetwork net : List.of(a, aReference, b, bReference)) {
            net.rnnTimeStep(steps.get(0));
        }
        b.getLayer(2).paramTable().values().iterator().next().putScalar(0, Float.NaN);
        a.rnnTimeStep(steps.get(1));
        aReference.rnnTimeStep(steps.get(1));
        assertThrows(IllegalStateException.class, () -> b.rnnTimeStep(steps.get(1)));
        assertSameStates(states(aReference), states(a));
        assertSameStates(states(bReference), states(b));
    }

    @Test
    void aFailureInTheFirstLayerChangesNothingEitherAndTheStreamGoesOn() {
        MultiLayerNetwork net = stack(DataType.FLOAT);
        MultiLayerNetwork reference = stack(DataType.FLOAT);
        List<INDArray> steps = steps(DataType.FLOAT, 4);
        for (int i = 0; i < 2; i++) {
            net.rnnTimeStep(steps.get(i));
            reference.rnnTimeStep(steps.get(i));
        }
        INDArray poisoned = steps.get(2).dup();
        poisoned.putScalar(0, 1, 0, Float.POSITIVE_INFINITY);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.rnnTimeStep(poisoned));
        assertTrue(e.getMessage().contains("'first'"), e.getMessage());
        assertSameStates(states(reference), states(net));
        for (int i = 2; i < 4; i++) {
            assertSameValues(reference.rnnTimeStep(steps.get(i)), net.rnnTimeStep(steps.get(i)), "step " + i);
        }
    }

    /** DL4J's own recurrent layers are out of the layers' reach: TransactionalTimeStep covers them. */
    private static MultiLayerNetwork withDl4jLstm() {
        MultiLayerNetwork net = new MultiLayerNetwork(base(DataType.FLOAT).list()
                .layer(new LSTM.Builder().nOut(SIZE).activation(Activation.TANH).build())
                .layer(new MLSTMBlock.Builder().innerSize(8).numHeads(2).qkvBlockSize(2).name("xlstm").build())
                .setInputType(InputType.recurrent(SIZE)).build());
        net.init();
        return net;
    }

    @Test
    void transactionalTimeStepAlsoRestoresDl4jRecurrentLayers() {
        MultiLayerNetwork net = withDl4jLstm();
        MultiLayerNetwork reference = withDl4jLstm();
        List<INDArray> steps = steps(DataType.FLOAT, 4);
        for (int i = 0; i < 2; i++) {
            TransactionalTimeStep.step(net, steps.get(i));
            reference.rnnTimeStep(steps.get(i));
        }
        INDArray weight = net.getLayer(1).paramTable().values().iterator().next();
        double saved = weight.getDouble(0);
        weight.putScalar(0, Float.NaN);
        assertThrows(IllegalStateException.class, () -> TransactionalTimeStep.step(net, steps.get(2)));
        assertSameStates(states(reference), states(net));
        weight.putScalar(0, saved);
        // A failure raised by a DL4J layer before any xLSTM layer steps: the xLSTM layer's last committed step
        // must stay (the journal still lists it from the previous call).
        assertThrows(RuntimeException.class, () -> TransactionalTimeStep.step(net, Nd4j.randn(DataType.FLOAT, 2, SIZE + 1, 1)));
        assertSameStates(states(reference), states(net));
        for (int i = 2; i < 4; i++) {
            assertSameValues(reference.rnnTimeStep(steps.get(i)), TransactionalTimeStep.step(net, steps.get(i)),
                    "step " + i);
        }
    }

    @Test
    void transactionalTimeStepRestoresDl4jRecurrentLayersOfAGraphToo() {
        ComputationGraph graph = lstmGraph();
        ComputationGraph reference = lstmGraph();
        List<INDArray> steps = steps(DataType.FLOAT, 3);
        TransactionalTimeStep.step(graph, steps.get(0));
        reference.rnnTimeStep(steps.get(0));
        INDArray weight = graph.getLayer("xlstm").paramTable().values().iterator().next();
        double saved = weight.getDouble(0);
        weight.putScalar(0, Float.POSITIVE_INFINITY);
        assertThrows(IllegalStateException.class, () -> TransactionalTimeStep.step(graph, steps.get(1)));
        assertSameStates(states(reference), states(graph));
        weight.putScalar(0, saved);
        assertSameValues(reference.rnnTimeStep(steps.get(1))[0], TransactionalTimeStep.step(graph, steps.get(1))[0],
                "step 1");
    }

    private static ComputationGraph lstmGraph() {
        ComputationGraph graph = new ComputationGraph(base(DataType.FLOAT).graphBuilder().addInputs("in")
                .addLayer("lstm", new LSTM.Builder().nOut(SIZE).activation(Activation.TANH).build(), "in")
                .addLayer("xlstm", new MLSTMBlock.Builder().innerSize(8).numHeads(2).qkvBlockSize(2).build(), "lstm")
                .setOutputs("xlstm").setInputTypes(InputType.recurrent(SIZE)).build());
        graph.init();
        return graph;
    }
}
