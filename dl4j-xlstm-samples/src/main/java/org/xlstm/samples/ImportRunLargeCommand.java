package org.xlstm.samples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.imports.NpyIO;
import org.xlstm.dl4j.imports.SafetensorsWriter;
import org.xlstm.dl4j.imports.large.XlstmLargeCheckpoint;
import org.xlstm.dl4j.large.XlstmLargeRunner;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs an official xLSTM-Large checkpoint on token ids and writes its logits (and gradients). */
@Command(name = "import-run-large", mixinStandardHelpOptions = true,
        description = {"Loads an official xLSTM-Large checkpoint directory (config.yaml with model.safetensors or"
                + " shards model_0.safetensors, ...), runs the token ids through it and writes logits.npy (full"
                + " sequence, chunkwise) and step_logits.npy (one token at a time through rnnTimeStep).",
                "With --upstream R.npy it also writes grads.safetensors, the gradients of sum(logits * R) keyed by"
                + " the official parameter names."})
public final class ImportRunLargeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "checkpoint directory")
    private Path model;

    @Option(names = "--input", required = true, description = "token ids [B, S] as .npy")
    private Path input;

    @Option(names = "--out", required = true, description = "output folder (created when missing)")
    private Path out;

    @Option(names = "--dtype", defaultValue = "float64", description = "float64 or float32 (default: ${DEFAULT-VALUE})")
    private String dtype;

    @Option(names = "--upstream", description = "[B, S, vocab] .npy: the gradient of the logits")
    private Path upstream;

    @Override
    public Integer call() throws IOException {
        DataType type = LargeModels.dataType(dtype);
        INDArray ids = NpyIO.read(LargeModels.requireFile("input", input));
        INDArray r = upstream == null ? null : NpyIO.read(LargeModels.requireFile("upstream", upstream));
        XlstmLargeRunner runner;
        try (XlstmLargeCheckpoint checkpoint = XlstmLargeCheckpoint.open(model)) {
            runner = checkpoint.load(type);
        }
        Files.createDirectories(out);
        NpyIO.write(runner.logits(ids), out.resolve("logits.npy"));
        NpyIO.write(runner.stepLogits(ids), out.resolve("step_logits.npy"));
        if (r != null) {
            SafetensorsWriter.write(runner.gradients(ids, r), out.resolve("grads.safetensors"));
        }
        System.out.println("wrote " + out.toAbsolutePath() + " (xLSTM-Large, " + dtype + ", "
                + runner.network().numParams() + " parameters)");
        return 0;
    }
}
