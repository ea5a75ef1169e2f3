package org.xlstm.samples.scaleout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelInference;
import org.deeplearning4j.parallelism.inference.InferenceMode;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One machine, several workers: trains an xLSTM network with {@code ParallelWrapper} next to a plain fit
 * loop on the same data, then serves it with {@code ParallelInference} to concurrent clients. Spark
 * training is {@link SparkTrainingExample}.
 */
@Command(name = "scale-out", mixinStandardHelpOptions = true,
        description = "Trains an xLSTM network with ParallelWrapper (averaging) next to a single fit loop, then serves"
                + " it with ParallelInference from concurrent client threads. For Spark see docs/SCALE-OUT.md.")
public final class ScaleOutCommand implements Callable<Integer> {

    @Option(names = "--workers", defaultValue = "2", description = "ParallelWrapper / ParallelInference workers (default: ${DEFAULT-VALUE})")
    private int workers;

    @Option(names = "--epochs", defaultValue = "6", description = "training epochs (default: ${DEFAULT-VALUE})")
    private int epochs;

    @Option(names = "--minibatches", defaultValue = "32", description = "training minibatches of 16 sequences (default: ${DEFAULT-VALUE})")
    private int minibatches;

    @Option(names = "--clients", defaultValue = "8", description = "client threads sending requests (default: ${DEFAULT-VALUE})")
    private int clients;

    @Option(names = "--requests", defaultValue = "400", description = "inference requests, one sequence each (default: ${DEFAULT-VALUE})")
    private int requests;

    @Option(names = "--inference-mode", defaultValue = "BATCHED",
            description = "ParallelInference mode: BATCHED or SEQUENTIAL (default: ${DEFAULT-VALUE})")
    private InferenceMode inferenceMode;

    @Option(names = "--seed", defaultValue = "7", description = "random seed (default: ${DEFAULT-VALUE})")
    private long seed;

    @Override
    public Integer call() throws Exception {
        List<DataSet> train = WaveTask.minibatches(minibatches, 16, seed);
        DataSet heldOut = DataSet.merge(WaveTask.minibatches(8, 16, seed + 1));

        MultiLayerNetwork single = new MultiLayerNetwork(WaveNetworks.multiLayer(seed));
        single.init();
        System.out.printf("untrained: held-out MSE %.5f%n", single.score(heldOut));
        long start = System.nanoTime();
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (DataSet batch : train) {
                single.fit(batch);
            }
        }
        System.out.printf("one fit loop:               held-out MSE %.5f  (%.1f s)%n", single.score(heldOut),
                (System.nanoTime() - start) / 1e9);

        MultiLayerNetwork wrapped = new MultiLayerNetwork(WaveNetworks.multiLayer(seed));
        wrapped.init();
        start = System.nanoTime();
        WrapperTraining.train(wrapped, train, epochs, workers);
        System.out.printf("ParallelWrapper, %d workers: held-out MSE %.5f  (%.1f s)%n", workers,
                wrapped.score(heldOut), (System.nanoTime() - start) / 1e9);

        List<INDArray> inputs = new ArrayList<>(requests);
        for (int i = 0; i < requests; i++) {
            long row = i % heldOut.numExamples();
            inputs.add(heldOut.getFeatures().get(NDArrayIndex.interval(row, row + 1), NDArrayIndex.all(),
                    NDArrayIndex.all()));
        }
        ParallelInference inference = new ParallelInference.Builder(wrapped).inferenceMode(inferenceMode)
                .workers(workers).batchLimit(clients).build();
        try {
            start = System.nanoTime();
            List<INDArray> outputs = ConcurrentRequests.send(inference, inputs, clients);
            double seconds = (System.nanoTime() - start) / 1e9;
            double maxDifference = 0;
            for (int i = 0; i < requests; i++) {
                maxDifference = Math.max(maxDifference,
                        outputs.get(i).sub(wrapped.output(inputs.get(i))).amaxNumber().doubleValue());
            }
            System.out.printf("ParallelInference %s: %d requests from %d clients in %.2f s (%.0f/s),"
                    + " largest difference to net.output %.2e%n", inferenceMode, requests, clients, seconds,
                    requests / seconds, maxDifference);
        } finally {
            inference.shutdown();
        }
        return 0;
    }
}
