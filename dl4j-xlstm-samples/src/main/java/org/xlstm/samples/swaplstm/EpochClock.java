package org.xlstm.samples.swaplstm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.deeplearning4j.earlystopping.EarlyStoppingConfiguration;
import org.deeplearning4j.earlystopping.EarlyStoppingResult;
import org.deeplearning4j.earlystopping.listener.EarlyStoppingListener;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * Wall time and mean training loss of each early-stopping epoch. An epoch's time runs from the end of the
 * previous one (or the start) to the end of its validation scoring, so it includes the validation pass.
 */
final class EpochClock extends BaseTrainingListener implements EarlyStoppingListener<MultiLayerNetwork> {

    private final List<Double> seconds = new ArrayList<>();
    private final List<Double> validationSeconds = new ArrayList<>();
    private final List<Double> trainingLoss = new ArrayList<>();
    private long epochStart;
    private long lastIteration;
    private double firstMinibatchSeconds = Double.NaN;
    private double lossSum;
    private int lossCount;

    @Override
    public void onStart(EarlyStoppingConfiguration<MultiLayerNetwork> conf, MultiLayerNetwork net) {
        epochStart = System.nanoTime();
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        lastIteration = System.nanoTime();
        if (Double.isNaN(firstMinibatchSeconds)) {
            firstMinibatchSeconds = (lastIteration - epochStart) / 1e9;
        }
        lossSum += model.score();
        lossCount++;
    }

    @Override
    public void onEpoch(int epochNum, double score, EarlyStoppingConfiguration<MultiLayerNetwork> conf,
            MultiLayerNetwork net) {
        long now = System.nanoTime();
        seconds.add((now - epochStart) / 1e9);
        validationSeconds.add((now - lastIteration) / 1e9);
        trainingLoss.add(lossCount == 0 ? Double.NaN : lossSum / lossCount);
        epochStart = now;
        lossSum = 0;
        lossCount = 0;
    }

    @Override
    public void onCompletion(EarlyStoppingResult<MultiLayerNetwork> result) {
        // nothing to record: the last epoch was closed by onEpoch
    }

    List<Double> trainingLoss() {
        return trainingLoss;
    }

    double firstEpochSeconds() {
        return seconds.isEmpty() ? Double.NaN : seconds.get(0);
    }

    /** Time of the very first minibatch (its forward and backward pass and the update). */
    double firstMinibatchSeconds() {
        return firstMinibatchSeconds;
    }

    /** Time of the validation scoring at the end of the first epoch. */
    double firstValidationSeconds() {
        return validationSeconds.isEmpty() ? Double.NaN : validationSeconds.get(0);
    }

    /** Median epoch time over all epochs but the first (reported on its own); the first if it is the only one. */
    double medianEpochSeconds() {
        return laterMedian(seconds);
    }

    /** Median validation time over all epochs but the first. */
    double medianValidationSeconds() {
        return laterMedian(validationSeconds);
    }

    private static double laterMedian(List<Double> values) {
        if (values.size() < 2) {
            return values.isEmpty() ? Double.NaN : values.get(0);
        }
        double[] later = values.subList(1, values.size()).stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(later);
        int n = later.length;
        return n % 2 == 1 ? later[n / 2] : (later[n / 2 - 1] + later[n / 2]) / 2;
    }
}
