package org.xlstm.dl4j.dropin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xlstm.dl4j.dropin.DropinSupport.LABELS;
import static org.xlstm.dl4j.dropin.DropinSupport.SEED;
import static org.xlstm.dl4j.dropin.DropinSupport.SIZE;
import static org.xlstm.dl4j.dropin.DropinSupport.assertClose;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.learning.config.Adam;

/** FLOAT, DOUBLE and HALF networks train; inputs of another type are cast; workspace modes agree. */
class DataTypeTest {
    private static final int MINIBATCH = 3;
    private static final int TIME = 5;

    @BeforeEach
    void setUp() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        Nd4j.getRandom().setSeed(SEED);
    }

    private static MultiLayerNetwork net(String kind, DataType type, WorkspaceMode workspaces) {
        // Adam's default epsilon (1e-8) underflows in HALF; 1e-4 works for every type.
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(SEED).dataType(type)
                .updater(new Adam(1e-2, 0.9, 0.999, 1e-4)).trainingWorkspaceMode(workspaces)
                .inferenceWorkspaceMode(workspaces).list().layer(DropinSupport.layer(kind))
                .layer(DropinSupport.rnnOutput(SIZE, RNNFormat.NCW)).build());
        net.init();
        return net;
    }

    private static DataSet data(DataType type) {
        INDArray x = DropinSupport.input(DataType.DOUBLE, MINIBATCH, SIZE, TIME);
        INDArray y = DropinSupport.input(DataType.DOUBLE, MINIBATCH, LABELS, TIME).muli(0.5);
        INDArray mask = DropinSupport.mask(DataType.DOUBLE, MINIBATCH, TIME);
        return new DataSet(x.castTo(type), y.castTo(type), mask.castTo(type), mask.castTo(type));
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE", "HALF"})
    void trains(DataType type) {
        for (String kind : DropinSupport.KINDS) {
            MultiLayerNetwork net = net(kind, type, WorkspaceMode.ENABLED);
            DataSet data = data(type);
            double before = net.score(data);
            for (int i = 0; i < 10; i++) {
                net.fit(data);
            }
            double after = net.score(data);
            assertEquals(type, net.params().dataType());
            assertFalse(BooleanIndexing.or(net.params(), Conditions.isNan()), kind + " " + type + ": NaN parameters");
            assertTrue(after < before, kind + " " + type + ": loss " + before + " -> " + after);
        }
    }

    @ParameterizedTest
    @MethodSource("org.xlstm.dl4j.dropin.DropinSupport#kinds")
    void inputsOfAnotherTypeAreCast(String kind) {
        MultiLayerNetwork net = net(kind, DataType.FLOAT, WorkspaceMode.ENABLED);
        DataSet data = data(DataType.FLOAT);
        INDArray expected = net.output(data.getFeatures(), false, data.getFeaturesMaskArray(), null);
        INDArray actual = net.output(data.getFeatures().castTo(DataType.DOUBLE), false,
                data.getFeaturesMaskArray().castTo(DataType.DOUBLE), null);
        assertEquals(DataType.FLOAT, actual.dataType());
        assertEquals(expected, actual, kind);
    }

    @ParameterizedTest
    @MethodSource("org.xlstm.dl4j.dropin.DropinSupport#kinds")
    void workspaceModesGiveIdenticalResults(String kind) {
        MultiLayerNetwork enabled = net(kind, DataType.DOUBLE, WorkspaceMode.ENABLED);
        MultiLayerNetwork none = net(kind, DataType.DOUBLE, WorkspaceMode.NONE);
        assertEquals(enabled.params(), none.params());
        DataSet data = data(DataType.DOUBLE);
        for (int i = 0; i < 3; i++) {
            enabled.fit(data);
            none.fit(data);
        }
        assertEquals(enabled.params(), none.params(), kind + ": parameters after training");
        assertClose(enabled.output(data.getFeatures(), false, data.getFeaturesMaskArray(), null),
                none.output(data.getFeatures(), false, data.getFeaturesMaskArray(), null), 0.0, kind + ": output");
    }
}
