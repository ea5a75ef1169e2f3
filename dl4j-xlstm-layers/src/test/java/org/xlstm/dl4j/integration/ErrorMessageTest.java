package org.xlstm.dl4j.integration;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMLayer;

/** Misconfigurations and bad inputs fail with an IllegalArgumentException naming layer, parameter, expected and actual. */
class ErrorMessageTest {

    @BeforeEach
    void setUp() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        Nd4j.getRandom().setSeed(IntegrationSupport.SEED);
    }

    private static void assertMessage(Executable executable, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, executable);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
        }
    }

    @Test
    void mlstmHeadsNotDividingInnerSize() {
        assertMessage(() -> new MLSTMLayer.Builder().nIn(4).nOut(4).innerSize(8).numHeads(3).qkvBlockSize(2)
                .name("cell").build(), "MLSTMLayer 'cell'", "numHeads", "inner size 8", "was 3");
    }

    @Test
    void slstmHeadsNotDividingNOut() {
        assertMessage(() -> new SLSTMLayer.Builder().nIn(4).nOut(6).numHeads(4).name("cell").build(),
                "SLSTMLayer 'cell'", "numHeads", "nOut 6", "was 4");
    }

    @Test
    void qkvBlockSizeNotDividingInnerSize() {
        assertMessage(() -> new MLSTMLayer.Builder().nIn(4).nOut(4).innerSize(8).numHeads(2).qkvBlockSize(3)
                .name("cell").build(), "MLSTMLayer 'cell'", "qkvBlockSize", "inner size 8", "was 3");
    }

    @Test
    void blocksNeedNInEqualToNOut() {
        assertMessage(() -> new MLSTMBlock.Builder().nIn(4).nOut(6).innerSize(8).numHeads(2).qkvBlockSize(2)
                .name("block").build(), "MLSTMBlock 'block'", "nOut", "equal to nIn (4)", "was 6");
        assertMessage(() -> new SLSTMBlock.Builder().nIn(4).nOut(6).numHeads(2).name("block").build(),
                "SLSTMBlock 'block'", "nOut", "equal to nIn (4)", "was 6");
    }

    private static MultiLayerNetwork network() {
        return IntegrationSupport.mln(new MLSTMLayer.Builder().nIn(8).nOut(4).innerSize(8).numHeads(2)
                .qkvBlockSize(2).name("cell").build(), new NoOp());
    }

    @Test
    void inputFeaturesNotMatchingNIn() {
        MultiLayerNetwork net = network();
        INDArray x = IntegrationSupport.input(2, 5, 6);
        assertMessage(() -> net.output(x), "MLSTMLayer 'cell'", "nIn", "expected 8", "got 5");
    }

    @Test
    void inputOfRankTwo() {
        MultiLayerNetwork net = network();
        INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 8);
        assertMessage(() -> net.output(x), "MLSTMLayer 'cell'", "input", "rank 3", "rank 2");
    }

    @Test
    void nanInInput() {
        MultiLayerNetwork net = network();
        INDArray x = IntegrationSupport.input(2, 8, 6);
        x.putScalar(1, 3, 2, Double.NaN);
        assertMessage(() -> net.output(x), "MLSTMLayer 'cell'", "input", "NaN");
    }

    @Test
    void nanBesideInfinitiesInInput() {
        MultiLayerNetwork net = network();
        INDArray x = IntegrationSupport.input(2, 8, 6);
        x.putScalar(0, 1, 1, Double.POSITIVE_INFINITY);
        x.putScalar(1, 3, 2, Double.NaN);
        x.putScalar(1, 5, 4, Double.NEGATIVE_INFINITY);
        assertMessage(() -> net.output(x), "MLSTMLayer 'cell'", "input", "NaN");
    }

    @Test
    void infinitiesOfBothSignsAreRefusedAsInfinite() {
        // an infinite input would poison the recurrent state for every later step, so it is refused like NaN
        MultiLayerNetwork net = network();
        INDArray x = IntegrationSupport.input(2, 8, 6);
        x.putScalar(0, 1, 1, Double.POSITIVE_INFINITY);
        x.putScalar(1, 5, 4, Double.NEGATIVE_INFINITY);
        assertMessage(() -> net.output(x), "MLSTMLayer 'cell'", "input", "infinite");
    }

    @Test
    void featureMaskOfWrongShape() {
        MultiLayerNetwork net = network();
        INDArray x = IntegrationSupport.input(2, 8, 6);
        INDArray mask = Nd4j.ones(DataType.DOUBLE, 2, 5);
        assertMessage(() -> net.output(x, false, mask, null), "MLSTMLayer 'cell'", "feature mask", "[2, 6]",
                "[2, 5]");
    }
}
