package org.xlstm.dl4j.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.streaming.TransactionalTimeStep;

/**
 * Non-finite values: infinite input is refused like NaN by the layer it reaches, without touching the stream;
 * non-finite weights are reported as such by their layer; a step that fails in a later layer leaves every
 * layer's state as it was.
 */
class NonFiniteTest {
    private static final int SIZE = 4;

    private static NeuralNetConfiguration.ListBuilder stack(DataType type) {
        return new NeuralNetConfiguration.Builder().seed(5).dataType(type).updater(new NoOp()).list()
                .layer(new MLSTMBlock.Builder().innerSize(8).numHeads(2).qkvBlockSize(2).name("first").build())
                .layer(new SLSTMBlock.Builder().numHeads(2).name("second").build())
                .layer(new MLSTMBlock.Builder().innerSize(8).numHeads(2).qkvBlockSize(2).name("third").build())
                .setInputType(InputType.recurrent(SIZE));
    }

    private static MultiLayerNetwork network(DataType type) {
        MultiLayerNetwork net = new MultiLayerNetwork(stack(type).build());
        net.init();
        return net;
    }

    private static List<INDArray> steps(DataType type, int count) {
        Nd4j.getRandom().setSeed(11);
        List<INDArray> steps = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            steps.add(Nd4j.randn(type, 2, SIZE, 1));
        }
        return steps;
    }

    private static Map<Integer, Map<String, INDArray>> states(MultiLayerNetwork net) {
        Map<Integer, Map<String, INDArray>> all = new HashMap<>();
        for (int i = 0; i < net.getnLayers(); i++) {
            Map<String, INDArray> copy = new HashMap<>();
            net.rnnGetPreviousState(i).forEach((k, v) -> copy.put(k, v.dup()));
            all.put(i, copy);
        }
        return all;
    }

    @ParameterizedTest
    @ValueSource(doubles = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN})
    void nonFiniteInputIsRefusedByTheFirstLayerAndTheStreamGoesOn(double bad) {
        MultiLayerNetwork net = network(DataType.FLOAT);
        MultiLayerNetwork reference = network(DataType.FLOAT);
        List<INDArray> steps = steps(DataType.FLOAT, 4);
        for (int i = 0; i < 2; i++) {
            net.rnnTimeStep(steps.get(i));
            reference.rnnTimeStep(steps.get(i));
        }
        INDArray poisoned = steps.get(2).dup();
        poisoned.putScalar(1, 2, 0, bad);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.rnnTimeStep(poisoned));
        assertTrue(e.getMessage().contains("'first'") && e.getMessage().contains("non-finite"), e.getMessage());
        for (int i = 2; i < 4; i++) {
            assertEquals(reference.rnnTimeStep(steps.get(i)), net.rnnTimeStep(steps.get(i)), "step " + i);
        }
    }

    @Test
    void infiniteWeightsAreReportedAsWeightsOfTheirLayer() {
        MultiLayerNetwork net = network(DataType.DOUBLE);
        String param = net.getLayer(1).paramTable().keySet().iterator().next();
        net.getLayer(1).getParam(param).putScalar(0, Double.POSITIVE_INFINITY);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 2, SIZE, 5);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.output(x));
        assertTrue(e.getMessage().contains("'second'") && e.getMessage().contains("parameter '" + param + "'"),
                e.getMessage());
        assertFalse(e.getMessage().contains("input"), e.getMessage());
    }

    @Test
    void aStepThatFailsInALaterLayerLeavesEveryLayersStateAsItWas() {
        MultiLayerNetwork net = network(DataType.FLOAT);
        MultiLayerNetwork reference = network(DataType.FLOAT);
        List<INDArray> steps = steps(DataType.FLOAT, 5);
        for (int i = 0; i < 3; i++) {
            TransactionalTimeStep.step(net, steps.get(i));
            reference.rnnTimeStep(steps.get(i));
        }
        Map<Integer, Map<String, INDArray>> before = states(net);
        INDArray weight = net.getLayer(2).paramTable().values().iterator().next();
        double saved = weight.getDouble(0);
        weight.putScalar(0, Float.POSITIVE_INFINITY);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TransactionalTimeStep.step(net, steps.get(3)));
        assertTrue(e.getMessage().contains("'third'"), e.getMessage());
        assertEquals(before, states(net), "states after the failed step");
        weight.putScalar(0, saved);
        for (int i = 3; i < 5; i++) {
            assertEquals(reference.rnnTimeStep(steps.get(i)), TransactionalTimeStep.step(net, steps.get(i)),
                    "step " + i);
        }
    }

    @Test
    void theSameInAComputationGraph() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(5)
                .dataType(DataType.DOUBLE).updater(new NoOp()).graphBuilder().addInputs("in")
                .addLayer("first", new MLSTMBlock.Builder().innerSize(8).numHeads(2).qkvBlockSize(2).build(), "in")
                .addLayer("second", new SLSTMBlock.Builder().numHeads(2).build(), "first")
                .setOutputs("second").setInputTypes(InputType.recurrent(SIZE)).build());
        graph.init();
        List<INDArray> steps = steps(DataType.DOUBLE, 3);
        TransactionalTimeStep.step(graph, steps.get(0));
        Map<String, Map<String, INDArray>> before = new HashMap<>();
        graph.rnnGetPreviousStates().forEach((layer, state) -> {
            Map<String, INDArray> copy = new HashMap<>();
            state.forEach((k, v) -> copy.put(k, v.dup()));
            before.put(layer, copy);
        });
        INDArray weight = graph.getLayer("second").paramTable().values().iterator().next();
        weight.putScalar(0, Float.NaN);
        assertThrows(IllegalStateException.class, () -> TransactionalTimeStep.step(graph, steps.get(1)));
        assertEquals(before, graph.rnnGetPreviousStates(), "states after the failed step");
    }
}
