package org.xlstm.dl4j.large;

import java.util.Arrays;
import java.util.Random;

/**
 * Picks the next token from one position's logits: greedy (argmax, lowest id on ties) at temperature 0,
 * otherwise softmax(logits / temperature) restricted to the topK largest (all when topK is 0), seeded.
 */
public final class TokenSampler {
    private final double temperature;
    private final int topK;
    private final Random random;

    public TokenSampler(double temperature, int topK, long seed) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0 (0 = greedy), got "
                    + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = the whole vocabulary), got " + topK);
        }
        this.temperature = temperature;
        this.topK = topK;
        this.random = new Random(seed);
    }

    public static TokenSampler greedy() {
        return new TokenSampler(0, 0, 0);
    }

    public int sample(double[] logits) {
        if (temperature == 0) {
            return argmax(logits);
        }
        double cutoff = Double.NEGATIVE_INFINITY;
        if (topK > 0 && topK < logits.length) {
            double[] sorted = logits.clone();
            Arrays.sort(sorted);
            cutoff = sorted[logits.length - topK];
        }
        double max = logits[argmax(logits)];
        double[] weights = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            weights[i] = logits[i] >= cutoff ? Math.exp((logits[i] - max) / temperature) : 0;
            total += weights[i];
        }
        double u = random.nextDouble() * total;
        for (int i = 0; i < weights.length; i++) {
            u -= weights[i];
            if (u < 0 && weights[i] > 0) {
                return i;
            }
        }
        return argmax(logits);
    }

    static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
