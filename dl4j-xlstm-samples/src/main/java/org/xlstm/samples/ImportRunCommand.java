package org.xlstm.samples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.xlstm.dl4j.imports.NpyIO;
import org.xlstm.dl4j.imports.SafetensorsFile;
import org.xlstm.dl4j.imports.SafetensorsReader;
import org.xlstm.dl4j.imports.SafetensorsWriter;
import org.xlstm.dl4j.imports.XlstmLmConfig;
import org.xlstm.dl4j.imports.XlstmStackConfig;
import org.xlstm.dl4j.model.OfficialModelRunner;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Rebuilds an official xLSTM block stack or language model from its config and weights, and writes its
 * full-sequence output, its step-by-step output and (with an upstream tensor) its gradients.
 */
@Command(name = "import-run", mixinStandardHelpOptions = true,
        description = {"Loads an official xLSTM config (block stack, or language model when it has vocab_size) and"
                + " its safetensors weights, runs the input through the network and writes output.npy (full"
                + " sequence) and step_output.npy (one step at a time through rnnTimeStep) to the output folder.",
                "With --upstream R.npy it also writes grads.safetensors, the gradients of sum(output * R) keyed by"
                + " the official names (in the weights file's sLSTM layout), and, for a block stack,"
                + " grad_input.npy.",
                "The files appear in the output folder together at the end; on an error it is left as it was."})
public final class ImportRunCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "official config JSON (xLSTMBlockStackConfig or"
            + " xLSTMLMModelConfig as a flat dict)")
    private Path config;

    @Option(names = "--weights", required = true, description = "official state_dict as .safetensors")
    private Path weights;

    @Option(names = "--input", required = true, description = "input .npy: [B, S, E] floats for a block stack,"
            + " [B, S] token ids for a language model")
    private Path input;

    @Option(names = "--out", required = true, description = "output folder (created when missing)")
    private Path out;

    @Option(names = "--dtype", defaultValue = "float64", description = "float64 or float32 (default: ${DEFAULT-VALUE})")
    private String dtype;

    @Option(names = "--upstream", description = ".npy shaped like the output: the gradient of the output")
    private Path upstream;

    @Override
    public Integer call() throws IOException {
        DataType type = dataType(dtype);
        requireFile("config", config);
        requireFile("weights", weights);
        requireFile("input", input);
        if (upstream != null) {
            requireFile("upstream", upstream);
        }
        INDArray x = NpyIO.read(input);
        INDArray r = upstream == null ? null : NpyIO.read(upstream);
        try (OutputFolder folder = OutputFolder.open("--out", out)) {
            OfficialModelRunner runner;
            try (SafetensorsFile file = SafetensorsReader.open(weights)) {
                runner = isLanguageModel(config)
                        ? OfficialModelRunner.forLanguageModel(XlstmLmConfig.fromJson(config), file, type)
                        : OfficialModelRunner.forStack(XlstmStackConfig.fromJson(config), file, type);
            }
            NpyIO.write(runner.output(x), folder.stage("output.npy"));
            NpyIO.write(runner.stepOutput(x), folder.stage("step_output.npy"));
            if (r != null) {
                OfficialModelRunner.Gradients gradients = runner.gradients(x, r);
                if (gradients.input() != null) {
                    NpyIO.write(gradients.input(), folder.stage("grad_input.npy"));
                }
                SafetensorsWriter.write(gradients.parameters(), folder.stage("grads.safetensors"));
            }
            folder.commit();
            System.out.println("wrote " + out.toAbsolutePath() + " (" + (runner.isLanguageModel() ? "language model"
                    : "block stack") + ", " + dtype + ", " + runner.network().numParams() + " parameters)");
        }
        return 0;
    }

    private static DataType dataType(String name) {
        switch (name) {
            case "float64":
                return DataType.DOUBLE;
            case "float32":
                return DataType.FLOAT;
            default:
                throw new IllegalArgumentException("--dtype must be float64 or float32, not '" + name + "'");
        }
    }

    private static void requireFile(String what, Path path) {
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException(what + " file not found: " + path);
        }
    }

    /** A language-model config is the stack config plus vocab_size. */
    private static boolean isLanguageModel(Path config) {
        try {
            JsonNode root = new ObjectMapper().readTree(config.toFile());
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException(config + ": the config must be a JSON object");
            }
            return root.has("vocab_size");
        } catch (IOException e) {
            throw new UncheckedIOException(config + ": not valid JSON: " + e.getMessage(), e);
        }
    }
}
