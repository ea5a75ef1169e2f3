package org.xlstm.samples.scaleout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelInference;
import org.deeplearning4j.parallelism.inference.InferenceMode;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * ParallelInference serving an xLSTM network to 8 client threads: every one of 400 requests gets the
 * output that {@code net.output} gives for its own input, whether requests are batched together or not.
 */
@ExtendWith(PrintDuration.class)
class ParallelInferenceTest {
    private static final long SEED = 5;
    private static final int CLIENTS = 8;
    private static final int REQUESTS = 400;
    private static final double TOLERANCE = 1e-5;
    /** Short requests keep the test quick; the networks take any length. */
    private static final int REQUEST_STEPS = 8;

    @ParameterizedTest
    @EnumSource(value = InferenceMode.class, names = {"BATCHED", "SEQUENTIAL"})
    @Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void multiLayerNetworkServesEveryRequestItsOwnOutput(InferenceMode mode) throws Exception {
        MultiLayerNetwork net = new MultiLayerNetwork(WaveNetworks.multiLayer(SEED));
        net.init();
        List<INDArray> requests = requests();
        assertServed(net, mode, requests, expected(net.output(Nd4j.concat(0, requests.toArray(new INDArray[0])))));
    }

    @ParameterizedTest
    @EnumSource(value = InferenceMode.class, names = {"BATCHED", "SEQUENTIAL"})
    @Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void computationGraphServesEveryRequestItsOwnOutput(InferenceMode mode) throws Exception {
        ComputationGraph net = new ComputationGraph(WaveNetworks.graph(SEED));
        net.init();
        List<INDArray> requests = requests();
        assertServed(net, mode, requests, expected(net.outputSingle(Nd4j.concat(0, requests.toArray(new INDArray[0])))));
    }

    /** Single sequences, all different. */
    private static List<INDArray> requests() {
        Random random = new Random(SEED);
        List<INDArray> requests = new ArrayList<>(REQUESTS);
        for (int i = 0; i < REQUESTS; i++) {
            requests.add(WaveTask.minibatch(1, REQUEST_STEPS, random).getFeatures());
        }
        return requests;
    }

    /** The reference outputs, one row of {@code net.output} over all requests at once per request. */
    private static List<INDArray> expected(INDArray outputs) {
        List<INDArray> rows = new ArrayList<>(REQUESTS);
        for (int i = 0; i < REQUESTS; i++) {
            rows.add(outputs.get(NDArrayIndex.interval(i, i + 1), NDArrayIndex.all(), NDArrayIndex.all()));
        }
        return rows;
    }

    private static void assertServed(Model net, InferenceMode mode, List<INDArray> requests, List<INDArray> expected)
            throws Exception {
        ParallelInference inference = new ParallelInference.Builder(net).inferenceMode(mode).workers(2)
                .batchLimit(CLIENTS).queueLimit(2 * CLIENTS).build();
        List<INDArray> served;
        try {
            served = ConcurrentRequests.send(inference, requests, CLIENTS);
        } finally {
            inference.shutdown();
        }
        for (int i = 0; i < REQUESTS; i++) {
            INDArray want = expected.get(i);
            INDArray got = served.get(i);
            assertArrayEquals(want.shape(), got.shape(), mode + " request " + i + ": shape");
            double difference = got.sub(want).amaxNumber().doubleValue();
            assertTrue(difference <= TOLERANCE, mode + " request " + i + ": largest difference to net.output "
                    + difference + " > " + TOLERANCE);
        }
    }
}
