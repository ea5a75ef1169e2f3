package org.xlstm.dl4j.large;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Token generation with an xLSTM-Large network for one sequence: the prompt is prefilled in one rnnTimeStep
 * call (the blocks' chunkwise form, state kept), then each new token is fed back alone (the recurrent step),
 * so memory per generated token is constant: only the blocks' fixed-size state is carried.
 */
public final class XlstmLargeGenerator {
    private final XlstmLargeRunner runner;

    public XlstmLargeGenerator(XlstmLargeRunner runner) {
        this.runner = runner;
    }

    /** The generated tokens and how long the two phases took. */
    public static final class Result {
        public final long[] tokens;
        public final long prefillNanos;
        public final long generationNanos;
        public final int promptLength;

        Result(long[] tokens, long prefillNanos, long generationNanos, int promptLength) {
            this.tokens = tokens;
            this.prefillNanos = prefillNanos;
            this.generationNanos = generationNanos;
            this.promptLength = promptLength;
        }

        public double prefillTokensPerSecond() {
            return promptLength / (prefillNanos / 1e9);
        }

        /** Tokens per second of the step phase (the first token comes from the prefill's logits). */
        public double generationTokensPerSecond() {
            return tokens.length <= 1 ? Double.NaN : (tokens.length - 1) / (generationNanos / 1e9);
        }
    }

    public Result generate(long[] prompt, int maxNewTokens, TokenSampler sampler) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt must hold at least one token id");
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        MultiLayerNetwork net = runner.network();
        net.rnnClearPreviousState();
        long[] tokens = new long[maxNewTokens];
        long start = System.nanoTime();
        INDArray logits = net.rnnTimeStep(runner.toNetwork(Nd4j.createFromArray(new long[][] {prompt})));
        int next = maxNewTokens == 0 ? 0 : sampler.sample(last(logits));
        long prefillNanos = System.nanoTime() - start;
        start = System.nanoTime();
        for (int i = 0; i < maxNewTokens; i++) {
            tokens[i] = next;
            if (i + 1 < maxNewTokens) {
                logits = net.rnnTimeStep(runner.toNetwork(Nd4j.createFromArray(new long[][] {{next}})));
                next = sampler.sample(last(logits));
            }
        }
        long generationNanos = System.nanoTime() - start;
        net.rnnClearPreviousState();
        return new Result(tokens, prefillNanos, generationNanos, prompt.length);
    }

    /** The logits of the last position of a [1, V, T] (or [1, V]) output. */
    static double[] last(INDArray logits) {
        INDArray row = logits.rank() == 3
                ? logits.get(NDArrayIndex.point(0), NDArrayIndex.all(), NDArrayIndex.point(logits.size(2) - 1))
                : logits.getRow(0);
        return row.toDoubleVector();
    }
}
