package org.xlstm.dl4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.NoOp;
import org.xlstm.dl4j.conformance.ConformanceCase;
import org.xlstm.dl4j.imports.XlstmStackConfig;

/**
 * The stack added to a ComputationGraph is the same network as the list form: with the same parameters
 * it gives the same output (and so, through the list form, the official one).
 */
class XlstmStackGraphTest {

    @Test
    void graphStackEqualsListStack() {
        ConformanceCase c = new ConformanceCase("mixed_3_1");
        OfficialModelRunner runner = c.stackRunner(DataType.DOUBLE, "weights.safetensors");
        XlstmStackConfig config = c.stackConfig();

        ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE).updater(new NoOp()).graphBuilder().addInputs("in");
        String last = XlstmStack.addTo(graph, "in", config, RNNFormat.NCW);
        ComputationGraph cg = new ComputationGraph(graph.setOutputs(last).build());
        cg.init();
        assertEquals(runner.network().numParams(), cg.numParams());
        for (int i = 0; i < runner.network().getLayers().length; i++) {
            String name = runner.network().getLayer(i).conf().getLayer().getLayerName();
            cg.getLayer(name).setParams(runner.network().getLayer(i).params());
        }

        INDArray input = c.npy("input.npy").permute(0, 2, 1).dup('c');
        INDArray fromList = runner.network().output(input);
        INDArray fromGraph = cg.outputSingle(input);
        assertEquals(0.0, fromList.sub(fromGraph).amaxNumber().doubleValue(), 1e-12);
    }
}
