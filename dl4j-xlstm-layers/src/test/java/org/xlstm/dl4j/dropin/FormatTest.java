package org.xlstm.dl4j.dropin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.xlstm.dl4j.dropin.DropinSupport.SEED;
import static org.xlstm.dl4j.dropin.DropinSupport.SIZE;
import static org.xlstm.dl4j.dropin.DropinSupport.assertClose;

import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.xlstm.dl4j.conf.XlstmLayerConfig;

/**
 * NWC gives the same results as NCW (MultiLayerNetwork and ComputationGraph, masked, and rnnTimeStep);
 * setInputType infers nIn and the format; truncated BPTT with NWC data is a documented DL4J limitation.
 */
class FormatTest {
    private static final int MINIBATCH = 3;
    private static final int TIME = 5;

    @BeforeEach
    void setUp() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        Nd4j.getRandom().setSeed(SEED);
    }

    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(SEED).dataType(DataType.DOUBLE).updater(new Adam(1e-2));
    }

    private static MultiLayerNetwork mln(String kind, RNNFormat format) {
        MultiLayerNetwork net = new MultiLayerNetwork(base().list().layer(DropinSupport.layer(kind, format, false))
                .layer(DropinSupport.rnnOutput(SIZE, format)).build());
        net.init();
        return net;
    }

    private static ComputationGraph graph(String kind, RNNFormat format) {
        ComputationGraph net = new ComputationGraph(base().graphBuilder().addInputs("in")
                .addLayer("xlstm", DropinSupport.layer(kind, format, false), "in")
                .addLayer("out", DropinSupport.rnnOutput(SIZE, format), "xlstm").setOutputs("out").build());
        net.init();
        return net;
    }

    private static INDArray nwc(INDArray ncw) {
        return ncw.permute(0, 2, 1).dup('c');
    }

    @ParameterizedTest
    @MethodSource("org.xlstm.dl4j.dropin.DropinSupport#kinds")
    void nwcMatchesNcw(String kind) {
        INDArray x = DropinSupport.input(DataType.DOUBLE, MINIBATCH, SIZE, TIME);
        INDArray mask = DropinSupport.mask(DataType.DOUBLE, MINIBATCH, TIME);

        MultiLayerNetwork ncwNet = mln(kind, RNNFormat.NCW);
        MultiLayerNetwork nwcNet = mln(kind, RNNFormat.NWC);
        nwcNet.setParams(ncwNet.params());
        assertClose(nwc(ncwNet.output(x, false, mask, mask)), nwcNet.output(nwc(x), false, mask, mask), 1e-12,
                kind + " MultiLayerNetwork");

        ComputationGraph ncwGraph = graph(kind, RNNFormat.NCW);
        ComputationGraph nwcGraph = graph(kind, RNNFormat.NWC);
        nwcGraph.setParams(ncwGraph.params());
        INDArray[] masks = {mask};
        assertClose(nwc(ncwGraph.output(false, new INDArray[] {x}, masks, masks)[0]),
                nwcGraph.output(false, new INDArray[] {nwc(x)}, masks, masks)[0], 1e-12, kind + " ComputationGraph");

        INDArray full = nwcNet.output(nwc(x));
        nwcNet.rnnClearPreviousState();
        for (int t = 0; t < TIME; t++) {
            INDArray step = nwc(x).get(NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1), NDArrayIndex.all());
            assertClose(full.get(NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1), NDArrayIndex.all()),
                    nwcNet.rnnTimeStep(step), 1e-10, kind + " NWC rnnTimeStep step " + t);
        }
    }

    @ParameterizedTest
    @MethodSource("org.xlstm.dl4j.dropin.DropinSupport#kinds")
    void setInputTypeInfersNInAndFormat(String kind) {
        for (RNNFormat format : RNNFormat.values()) {
            MultiLayerConfiguration conf = base().list().layer(DropinSupport.layer(kind, RNNFormat.NCW, true))
                    .layer(DropinSupport.rnnOutput(SIZE, format)).setInputType(InputType.recurrent(SIZE, format))
                    .build();
            XlstmLayerConfig layer = (XlstmLayerConfig) conf.getConf(0).getLayer();
            assertEquals(SIZE, layer.getNIn(), kind + " " + format + " MultiLayerNetwork nIn");
            assertEquals(format, layer.getDataFormat(), kind + " MultiLayerNetwork format");

            ComputationGraphConfiguration graphConf = base().graphBuilder().addInputs("in")
                    .setInputTypes(InputType.recurrent(SIZE, format))
                    .addLayer("xlstm", DropinSupport.layer(kind, RNNFormat.NCW, true), "in")
                    .addLayer("out", DropinSupport.rnnOutput(SIZE, format), "xlstm").setOutputs("out").build();
            XlstmLayerConfig graphLayer = (XlstmLayerConfig) ((LayerVertex) graphConf.getVertices()
                    .get("xlstm")).getLayerConf().getLayer();
            assertEquals(SIZE, graphLayer.getNIn(), kind + " " + format + " ComputationGraph nIn");
            assertEquals(format, graphLayer.getDataFormat(), kind + " ComputationGraph format");
        }
    }

    /**
     * DL4J's truncated BPTT slices the time axis as dimension 2 (NCW): with NWC data its fit() logs a warning
     * and returns without an iteration, before any layer is called, so no layer can report it. Documented in
     * the README: use NCW data with truncated BPTT.
     */
    @Test
    void truncatedBpttWithNwcDataDoesNotTrain() {
        MultiLayerNetwork net = new MultiLayerNetwork(base().list()
                .layer(DropinSupport.layer("slstmLayer", RNNFormat.NWC, false))
                .layer(DropinSupport.rnnOutput(SIZE, RNNFormat.NWC)).backpropType(BackpropType.TruncatedBPTT)
                .tBPTTLength(2).build());
        net.init();
        INDArray before = net.params().dup();
        net.fit(DropinSupport.input(DataType.DOUBLE, MINIBATCH, 6, SIZE),
                DropinSupport.input(DataType.DOUBLE, MINIBATCH, 6, DropinSupport.LABELS));
        assertEquals(0, net.getIterationCount());
        assertEquals(before, net.params());
    }
}
