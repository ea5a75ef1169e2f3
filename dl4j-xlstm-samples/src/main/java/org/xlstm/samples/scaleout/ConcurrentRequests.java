package org.xlstm.samples.scaleout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.deeplearning4j.parallelism.ParallelInference;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Sends requests to a {@link ParallelInference} from several client threads at once, as a server's callers would. */
public final class ConcurrentRequests {

    private ConcurrentRequests() {
    }

    /** The outputs for {@code requests}, in request order, sent by {@code clients} threads. */
    public static List<INDArray> send(ParallelInference inference, List<INDArray> requests, int clients)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<INDArray>> pending = new ArrayList<>(requests.size());
            for (INDArray request : requests) {
                pending.add(pool.submit(() -> inference.output(request)));
            }
            List<INDArray> outputs = new ArrayList<>(requests.size());
            for (Future<INDArray> future : pending) {
                outputs.add(future.get());
            }
            return outputs;
        } finally {
            pool.shutdownNow();
        }
    }
}
