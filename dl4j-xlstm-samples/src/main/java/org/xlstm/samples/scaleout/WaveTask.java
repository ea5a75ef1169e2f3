package org.xlstm.samples.scaleout;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The scale-out examples' task: from the noisy readings of a sine wave seen so far (random frequency, phase
 * and amplitude per sequence), predict the next reading. A network must infer the wave's parameters from the
 * history, so it needs its recurrent memory, and the task is learnt within a few epochs. The reading noise
 * ({@value #NOISE} standard deviation) sets a floor under the error, as in real data: trainings of the same
 * examples can be compared by how close they come to it.
 * Generated from a seed, so every worker, executor and reference loop sees the same data.
 */
public final class WaveTask {
    public static final int STEPS = 24;
    public static final int FEATURES = 1;
    public static final double NOISE = 0.3;

    private WaveTask() {
    }

    /** {@code minibatches} minibatches of {@code minibatchSize} sequences, NCW [minibatch, 1, STEPS]. */
    public static List<DataSet> minibatches(int minibatches, int minibatchSize, long seed) {
        Random random = new Random(seed);
        List<DataSet> batches = new ArrayList<>(minibatches);
        for (int b = 0; b < minibatches; b++) {
            batches.add(minibatch(minibatchSize, STEPS, random));
        }
        return batches;
    }

    /** One minibatch of {@code size} sequences of {@code steps} samples, NCW [size, 1, steps]. */
    public static DataSet minibatch(int size, int steps, Random random) {
        float[][][] features = new float[size][FEATURES][steps];
        float[][][] labels = new float[size][FEATURES][steps];
        for (int s = 0; s < size; s++) {
            double frequency = 0.15 + 0.45 * random.nextDouble();
            double phase = 2 * Math.PI * random.nextDouble();
            double amplitude = 0.5 + 0.5 * random.nextDouble();
            float previous = reading(amplitude, frequency, phase, 0, random);
            for (int t = 0; t < steps; t++) {
                float next = reading(amplitude, frequency, phase, t + 1, random);
                features[s][0][t] = previous;
                labels[s][0][t] = next;
                previous = next;
            }
        }
        INDArray x = Nd4j.create(features).castTo(DataType.FLOAT);
        INDArray y = Nd4j.create(labels).castTo(DataType.FLOAT);
        return new DataSet(x, y);
    }

    /**
     * The score (as DL4J's MSE loss reports it: squared errors summed over time, averaged over sequences) of
     * forecasting each next reading as the current one, the baseline a trained network must beat.
     */
    public static double persistenceScore(DataSet data) {
        double squares = data.getFeatures().castTo(DataType.DOUBLE).squaredDistance(data.getLabels().castTo(DataType.DOUBLE));
        return squares / data.numExamples();
    }

    private static float reading(double amplitude, double frequency, double phase, int t, Random random) {
        return (float) (amplitude * Math.sin(frequency * t + phase) + NOISE * random.nextGaussian());
    }
}
