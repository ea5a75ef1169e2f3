package org.xlstm.samples.generate;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

/** Drawing the next token from logits: softmax at a temperature over the k most likely tokens. */
final class Sampling {

    private Sampling() {
    }

    static int topK(double[] logits, double temperature, int k, Random random) {
        if (temperature <= 0 || k < 1) {
            throw new IllegalArgumentException("temperature must be > 0 and top-k >= 1, got " + temperature + " and " + k);
        }
        Integer[] order = IntStream.range(0, logits.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> -logits[i]));
        int n = Math.min(k, logits.length);
        double[] weights = new double[n];
        double total = 0;
        for (int j = 0; j < n; j++) {
            // shifted by the largest logit so that exp cannot overflow
            weights[j] = Math.exp((logits[order[j]] - logits[order[0]]) / temperature);
            total += weights[j];
        }
        double u = random.nextDouble() * total;
        for (int j = 0; j < n; j++) {
            u -= weights[j];
            if (u <= 0) {
                return order[j];
            }
        }
        return order[n - 1];
    }
}
