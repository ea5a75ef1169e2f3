package org.xlstm.dl4j.dropin;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMLayer;
import org.xlstm.dl4j.conf.XlstmLayerConfig;

/** Tiny xLSTM layers (size 4 in and out), masks and comparisons shared by the drop-in tests. */
final class DropinSupport {
    static final long SEED = 12345;
    static final int SIZE = 4;
    static final int LABELS = 2;
    static final String[] KINDS = {"mlstmLayer", "mlstmBlock", "slstmLayer", "slstmBlock"};

    private DropinSupport() {
    }

    /** One of {@link #KINDS}, SIZE -> SIZE, in the given format; nIn left unset (0) when inferNIn. */
    static XlstmLayerConfig layer(String kind, RNNFormat format, boolean inferNIn) {
        long nIn = inferNIn ? 0 : SIZE;
        switch (kind) {
            case "mlstmLayer":
                return new MLSTMLayer.Builder().nIn(nIn).nOut(SIZE).innerSize(8).numHeads(2).qkvBlockSize(2)
                        .chunkSize(4).dataFormat(format).build();
            case "mlstmBlock":
                return new MLSTMBlock.Builder().nIn(nIn).innerSize(8).numHeads(2).qkvBlockSize(2)
                        .chunkSize(4).dataFormat(format).build();
            case "slstmLayer":
                return new SLSTMLayer.Builder().nIn(nIn).nOut(SIZE).numHeads(2).convKernelSize(2).dataFormat(format)
                        .build();
            case "slstmBlock":
                return new SLSTMBlock.Builder().nIn(nIn).numHeads(2).convKernelSize(2).dataFormat(format)
                        .build();
            default:
                throw new IllegalArgumentException(kind);
        }
    }

    static Stream<String> kinds() {
        return Stream.of(KINDS);
    }

    static XlstmLayerConfig layer(String kind) {
        return layer(kind, RNNFormat.NCW, false);
    }

    static RnnOutputLayer rnnOutput(long nIn, RNNFormat format) {
        return new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                .dataFormat(format).nIn(nIn).nOut(LABELS).build();
    }

    /** Values in [-1, 1) of the given shape. */
    static INDArray input(DataType type, long... shape) {
        return Nd4j.rand(type, shape).muli(2).subi(1);
    }

    /**
     * [minibatch, time] feature mask: row 0 complete, row 1 padded at the end (2 steps), row 2 padded at the
     * start (2 steps); further rows complete.
     */
    static INDArray mask(DataType type, int minibatch, int time) {
        INDArray mask = Nd4j.ones(type, minibatch, time);
        mask.putScalar(1, time - 1, 0.0);
        mask.putScalar(1, time - 2, 0.0);
        mask.putScalar(2, 0, 0.0);
        mask.putScalar(2, 1, 0.0);
        return mask;
    }

    static void assertClose(INDArray expected, INDArray actual, double tolerance, String what) {
        assertTrue(java.util.Arrays.equals(expected.shape(), actual.shape()),
                what + ": shapes " + java.util.Arrays.toString(expected.shape()) + " vs "
                        + java.util.Arrays.toString(actual.shape()));
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= tolerance, what + ": max abs difference " + diff + " > " + tolerance);
    }
}
