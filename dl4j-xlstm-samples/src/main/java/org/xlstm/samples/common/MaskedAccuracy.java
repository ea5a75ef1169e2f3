package org.xlstm.samples.common;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Classification accuracy of a sequence network at the steps its label mask marks: the predicted class (argmax
 * over the classes of the [minibatch, classes, time] output) against the one-hot label.
 */
public final class MaskedAccuracy {

    private MaskedAccuracy() {
    }

    /** Correct and scored steps of one batch: {@code [correct, scored]}. */
    public static long[] count(MultiLayerNetwork net, DataSet batch) {
        INDArray predicted = net.output(batch.getFeatures(), false).argMax(1);
        INDArray actual = batch.getLabels().argMax(1);
        INDArray mask = batch.getLabelsMaskArray();
        if (mask == null) {
            throw new IllegalArgumentException("the batch needs a label mask marking the scored steps");
        }
        long scored = mask.sumNumber().longValue();
        long correct = predicted.eq(actual).castTo(mask.dataType()).mul(mask).sumNumber().longValue();
        return new long[] {correct, scored};
    }
}
