package org.xlstm.samples.scaleout;

import java.util.List;

import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Data-parallel training on one machine: {@link ParallelWrapper} in averaging mode, each worker training
 * its own copy of the network on alternate minibatches, the copies' parameters and updater states
 * averaged after every round, and the result written back into the network passed in.
 */
public final class WrapperTraining {

    private WrapperTraining() {
    }

    /**
     * Trains {@code net} for {@code epochs} passes over {@code minibatches} with {@code workers} workers.
     * The listeners see every worker's iterations.
     */
    public static void train(Model net, List<DataSet> minibatches, int epochs, int workers,
            TrainingListener... listeners) throws Exception {
        try (ParallelWrapper wrapper = new ParallelWrapper.Builder<>(net).workers(workers).prefetchBuffer(workers)
                .trainingMode(ParallelWrapper.TrainingMode.AVERAGING).averagingFrequency(1).averageUpdaters(true)
                .reportScoreAfterAveraging(true).build()) {
            wrapper.setListeners(listeners);
            ExistingDataSetIterator iterator = new ExistingDataSetIterator(minibatches);
            for (int epoch = 0; epoch < epochs; epoch++) {
                iterator.reset();
                wrapper.fit(iterator);
            }
        }
    }
}
