package org.xlstm.dl4j.learning;

import java.util.function.IntFunction;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** Shared training and scoring loop for the synthetic learning tests. */
final class LearningSupport {
    private LearningSupport() {
    }

    /** Result of one model's run. */
    static final class Outcome {
        final String name;
        final long params;
        final double seconds;
        final double finalLoss;

        Outcome(String name, long params, double seconds, double finalLoss) {
            this.name = name;
            this.params = params;
            this.seconds = seconds;
            this.finalLoss = finalLoss;
        }
    }

    /** Fits {@code net} on {@code steps} fresh minibatches from {@code batches} (step index to batch). */
    static Outcome train(String name, MultiLayerNetwork net, int steps, IntFunction<DataSet> batches) {
        long start = System.nanoTime();
        double loss = Double.NaN;
        for (int s = 0; s < steps; s++) {
            net.fit(batches.apply(s));
            loss = net.score();
            if ((s + 1) % Math.max(1, steps / 5) == 0) {
                System.out.printf("  %s step %d loss %.4f%n", name, s + 1, loss);
            }
        }
        return new Outcome(name, net.numParams(), (System.nanoTime() - start) / 1e9, loss);
    }

    /**
     * Fraction of the unmasked label steps where argmax(output) == argmax(label), output from a masked
     * forward pass ([minibatch, classes, time]).
     */
    static double accuracy(MultiLayerNetwork net, DataSet data) {
        INDArray out = net.output(data.getFeatures(), false, data.getFeaturesMaskArray(), data.getLabelsMaskArray());
        INDArray predicted = out.argMax(1);
        INDArray truth = data.getLabels().argMax(1);
        INDArray mask = data.getLabelsMaskArray();
        long mb = truth.size(0);
        long t = truth.size(1);
        long right = 0;
        long total = 0;
        for (int i = 0; i < mb; i++) {
            for (int j = 0; j < t; j++) {
                if (mask.getDouble(i, j) != 0.0) {
                    total++;
                    if (predicted.getLong(i, j) == truth.getLong(i, j)) {
                        right++;
                    }
                }
            }
        }
        return (double) right / total;
    }
}
