package org.xlstm.samples;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.nio.file.Path;

import org.xlstm.dl4j.imports.large.XlstmLargeCheckpoint;
import org.xlstm.dl4j.large.TokenSampler;
import org.xlstm.dl4j.large.XlstmLargeGenerator;
import org.xlstm.dl4j.large.XlstmLargeRunner;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Generates token ids with an official xLSTM-Large checkpoint: chunkwise prefill, then the recurrent step. */
@Command(name = "generate-large", mixinStandardHelpOptions = true,
        description = "Loads an xLSTM-Large checkpoint directory, prefills the prompt token ids (chunkwise form) and"
                + " generates new token ids one at a time (recurrent step, constant memory per token). Prints the new"
                + " ids and the tokens/s of both phases. Greedy at temperature 0 (the default).")
public final class GenerateLargeCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "checkpoint directory")
    private Path model;

    @Option(names = "--prompt-ids", required = true, split = ",", description = "prompt token ids, e.g. 1,2,3")
    private List<Long> promptIds;

    @Option(names = "--max-new-tokens", required = true, description = "how many token ids to generate")
    private int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    private double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "sample among the k most likely; 0 = all")
    private int topK;

    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default: ${DEFAULT-VALUE})")
    private long seed;

    @Option(names = "--dtype", defaultValue = "float32", description = "float32 or float64 (default: ${DEFAULT-VALUE})")
    private String dtype;

    @Override
    public Integer call() {
        TokenSampler sampler = new TokenSampler(temperature, topK, seed);
        XlstmLargeRunner runner;
        try (XlstmLargeCheckpoint checkpoint = XlstmLargeCheckpoint.open(model)) {
            runner = checkpoint.load(LargeModels.dataType(dtype));
        }
        long[] prompt = promptIds.stream().mapToLong(Long::longValue).toArray();
        XlstmLargeGenerator.Result result = new XlstmLargeGenerator(runner).generate(prompt, maxNewTokens, sampler);
        PrintWriter out = spec.commandLine().getOut();
        out.println(Arrays.stream(result.tokens).mapToObj(Long::toString).collect(Collectors.joining(",")));
        out.printf("prefill: %d tokens, %.1f tokens/s; generation: %d tokens, %.1f tokens/s%n",
                prompt.length, result.prefillTokensPerSecond(), result.tokens.length,
                result.generationTokensPerSecond());
        out.flush();
        return 0;
    }
}
