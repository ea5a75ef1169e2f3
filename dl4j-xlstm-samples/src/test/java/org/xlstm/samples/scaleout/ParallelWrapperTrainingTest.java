package org.xlstm.samples.scaleout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.NeuralNetwork;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.dataset.DataSet;

/**
 * ParallelWrapper (averaging, 2 workers) against one fit loop over the same minibatches from the same
 * initial parameters: both must learn the task, the wrapper must really fit every minibatch of every epoch,
 * and its held-out score must come within 10% of the loop's. A deadlock fails the test through its timeout.
 */
@ExtendWith(PrintDuration.class)
class ParallelWrapperTrainingTest {
    private static final long SEED = 11;
    private static final int MINIBATCHES = 24;
    private static final int MINIBATCH_SIZE = 16;
    private static final int EPOCHS = 16;
    private static final int WORKERS = 2;

    private final List<DataSet> train = WaveTask.minibatches(MINIBATCHES, MINIBATCH_SIZE, SEED);
    private final DataSet heldOut = DataSet.merge(WaveTask.minibatches(8, MINIBATCH_SIZE, SEED + 1));

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void multiLayerNetworkMatchesOneFitLoop() throws Exception {
        MultiLayerNetwork single = new MultiLayerNetwork(WaveNetworks.multiLayer(SEED));
        single.init();
        MultiLayerNetwork wrapped = new MultiLayerNetwork(WaveNetworks.multiLayer(SEED));
        wrapped.init();
        compare(single, wrapped);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void computationGraphMatchesOneFitLoop() throws Exception {
        ComputationGraph single = new ComputationGraph(WaveNetworks.graph(SEED));
        single.init();
        ComputationGraph wrapped = new ComputationGraph(WaveNetworks.graph(SEED));
        wrapped.init();
        compare(single, wrapped);
    }

    private <N extends Model & NeuralNetwork> void compare(N single, N wrapped) throws Exception {
        assertEquals(single.params(), wrapped.params(), "same seed, same initial parameters");
        double untrained = WaveNetworks.score(single, heldOut);
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
            for (DataSet batch : train) {
                single.fit(batch);
            }
        }
        double loopScore = WaveNetworks.score(single, heldOut);

        ExampleCounter counter = new ExampleCounter();
        WrapperTraining.train(wrapped, train, EPOCHS, WORKERS, counter);
        double wrapperScore = WaveNetworks.score(wrapped, heldOut);
        System.out.printf("[scale-out] %s held-out MSE: untrained %.5f, one fit loop %.5f, ParallelWrapper %.5f%n",
                single.getClass().getSimpleName(), untrained, loopScore, wrapperScore);

        assertEquals((long) EPOCHS * MINIBATCHES, counter.iterations.get(), "minibatches the workers fitted");
        assertEquals((long) EPOCHS * MINIBATCHES * MINIBATCH_SIZE, counter.examples.get(), "examples the workers fitted");
        assertTrue(loopScore < 0.7 * untrained, "one fit loop learns: " + untrained + " -> " + loopScore);
        assertTrue(wrapperScore < 0.7 * untrained, "ParallelWrapper learns: " + untrained + " -> " + wrapperScore);
        assertTrue(Math.abs(wrapperScore - loopScore) <= 0.10 * loopScore,
                "ParallelWrapper's held-out MSE " + wrapperScore + " within 10% of one fit loop's " + loopScore);
    }

    /** Counts the minibatches and examples fitted, by all workers together. */
    private static final class ExampleCounter extends BaseTrainingListener {
        final AtomicLong iterations = new AtomicLong();
        final AtomicLong examples = new AtomicLong();

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            iterations.incrementAndGet();
            examples.addAndGet(model.batchSize());
        }
    }
}
