package org.xlstm.samples.bench;

import java.io.PrintWriter;
import java.util.Random;
import java.util.concurrent.Callable;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.imports.XlstmLargeConfig;
import org.xlstm.dl4j.large.TokenSampler;
import org.xlstm.dl4j.large.XlstmLargeGenerator;
import org.xlstm.dl4j.large.XlstmLargeRunner;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Generation speed of a random xLSTM-Large model, next to the same model's full-sequence forward. */
@Command(name = "benchmark-large", mixinStandardHelpOptions = true,
        description = "Times a random float32 xLSTM-Large model: prefill tokens/s and generation ms/token"
                + " (greedy, recurrent step), and the full-sequence forward over prompt + generated tokens.")
public final class BenchmarkLargeCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--embedding", defaultValue = "1024", description = "embedding size (default: ${DEFAULT-VALUE})")
    private int embedding;

    @Option(names = "--blocks", defaultValue = "8", description = "blocks (default: ${DEFAULT-VALUE})")
    private int blocks;

    @Option(names = "--heads", defaultValue = "8", description = "heads (default: ${DEFAULT-VALUE})")
    private int heads;

    @Option(names = "--vocab", defaultValue = "50304", description = "vocabulary (default: ${DEFAULT-VALUE})")
    private int vocab;

    @Option(names = "--prompt", defaultValue = "256", description = "prompt tokens (default: ${DEFAULT-VALUE})")
    private int prompt;

    @Option(names = "--new-tokens", defaultValue = "64", description = "generated tokens (default: ${DEFAULT-VALUE})")
    private int newTokens;

    @Option(names = "--repeats", defaultValue = "3", description = "timed runs after one warm-up; the best counts")
    private int repeats;

    @Override
    public Integer call() {
        XlstmLargeConfig config = XlstmLargeConfig.builder(embedding, heads, blocks, vocab).build();
        XlstmLargeRunner runner = XlstmLargeRunner.create(config, DataType.FLOAT, 1);
        Random random = new Random(1);
        long[] ids = new long[prompt];
        for (int i = 0; i < prompt; i++) {
            ids[i] = random.nextInt(vocab);
        }
        INDArray full = Nd4j.createFromArray(new long[][] {java.util.Arrays.copyOf(ids, prompt + newTokens)});
        XlstmLargeGenerator generator = new XlstmLargeGenerator(runner);
        double bestPrefill = 0;
        double bestMsPerToken = Double.MAX_VALUE;
        double bestForward = Double.MAX_VALUE;
        for (int r = 0; r <= repeats; r++) {
            XlstmLargeGenerator.Result result = generator.generate(ids, newTokens, TokenSampler.greedy());
            long start = System.nanoTime();
            runner.logits(full);
            double forwardMs = (System.nanoTime() - start) / 1e6;
            if (r > 0) {
                bestPrefill = Math.max(bestPrefill, result.prefillTokensPerSecond());
                bestMsPerToken = Math.min(bestMsPerToken, 1000.0 / result.generationTokensPerSecond());
                bestForward = Math.min(bestForward, forwardMs);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("xlstm-large E=%d blocks=%d heads=%d vocab=%d params=%d float32: prefill %d tokens %.1f tokens/s;"
                        + " generation %.2f ms/token; full forward of %d tokens %.1f ms (%.1f tokens/s)%n",
                embedding, blocks, heads, vocab, runner.network().numParams(), prompt, bestPrefill, bestMsPerToken,
                prompt + newTokens, bestForward, (prompt + newTokens) / (bestForward / 1000));
        out.flush();
        return 0;
    }
}
