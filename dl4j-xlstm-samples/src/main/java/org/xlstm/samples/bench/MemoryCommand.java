package org.xlstm.samples.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.samples.bench.Models.Model;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What one model costs in native memory, each model, mode and length measured in its own JVM so that no
 * figure includes what an earlier measurement left behind (workspaces are per thread and per process).
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
        description = "Peak and steady native memory (resident set minus the committed Java heap) of the forward"
                + " and the training pass of mLSTM x2, sLSTM x1 and DL4J LSTM x2 (as many parameters as the mLSTM"
                + " stack), each in a fresh JVM; prints a Markdown table.")
public final class MemoryCommand implements Callable<Integer> {
    private static final String[] MODELS = {"mlstm", "slstm", "lstm"};
    private static final String[] MODES = {"forward", "train"};
    private static final long MB = 1L << 20;

    @Option(names = "--lengths", split = ",", description = "sequence lengths (default: ${DEFAULT-VALUE})",
            defaultValue = "1024,16384")
    private int[] lengths;

    @Option(names = "--width", description = "embedding size E (default: ${DEFAULT-VALUE})", defaultValue = "256")
    private long width;

    @Option(names = "--tokens-per-batch", description = "B = this / T, at least 1 (default: ${DEFAULT-VALUE})",
            defaultValue = "8192")
    private long tokensPerBatch;

    @Option(names = "--passes", description = "passes measured per JVM (default: ${DEFAULT-VALUE})",
            defaultValue = "3")
    private int passes;

    @Option(names = "--heap", description = "Java heap of each measuring JVM, fixed and pre-touched so that it"
            + " is all resident (default: ${DEFAULT-VALUE})", defaultValue = "1g")
    private String heap;

    @Option(names = "--one", hidden = true, description = "model:mode:T, measured in this JVM")
    private String one;

    @Override
    public Integer call() throws Exception {
        if (one != null) {
            String[] parts = one.split(":");
            measureHere(parts[0], parts[1], Integer.parseInt(parts[2]));
            return 0;
        }
        System.out.printf(Locale.ROOT, "E=%d, B = max(1, %d / T), %d passes, heap %s per JVM, load average %s%n%n",
                width, tokensPerBatch, passes, heap, BenchmarkCommand.loadAverage());
        System.out.println("| model | T | B | forward peak MB | forward steady MB | training peak MB"
                + " | training steady MB |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        for (String model : MODELS) {
            for (int t : lengths) {
                Map<String, Long> forward = fork(model, "forward", t);
                Map<String, Long> train = fork(model, "train", t);
                System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %d |%n", name(model), t, batch(t),
                        forward.get("peak") / MB, forward.get("steady") / MB, train.get("peak") / MB,
                        train.get("steady") / MB);
            }
        }
        System.out.println();
        System.out.println("peak: highest native memory during the passes, less its value before them;"
                + " steady: what the process still holds after them, once garbage collection has settled.");
        return 0;
    }

    private long batch(int t) {
        return Math.max(1, tokensPerBatch / t);
    }

    private String name(String model) {
        return model(model).name;
    }

    private Model model(String model) {
        Model mlstm = Models.mlstmStack(width, 2, width);
        switch (model) {
            case "mlstm":
                return mlstm;
            case "slstm":
                return Models.slstmBlockModel(width);
            case "lstm":
                long h = Models.lstmHiddenForParams(width, 2, mlstm.sequenceParams);
                return Models.lstmStack("LSTM x2 H=" + h, width, h, 2);
            default:
                throw new IllegalArgumentException("unknown model '" + model + "'; expected one of mlstm, slstm, lstm");
        }
    }

    /** Runs {@code --one model:mode:T} in a fresh JVM and returns its peak and steady bytes. */
    private Map<String, Long> fork(String model, String mode, int t) throws Exception {
        Map<String, String> reported = ForkedJvm.run(List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+AlwaysPreTouch"),
                List.of("memory", "--width", Long.toString(width), "--tokens-per-batch", Long.toString(tokensPerBatch),
                        "--passes", Integer.toString(passes), "--one", model + ":" + mode + ":" + t),
                "steady", null);
        Map<String, Long> values = new HashMap<>();
        reported.forEach((key, value) -> values.put(key, Long.parseLong(value)));
        return values;
    }

    /** Prints peak and steady native memory above the value before the passes, in bytes. */
    private void measureHere(String modelName, String mode, int t) {
        Model m = model(modelName);
        long b = batch(t);
        INDArray x = Nd4j.rand(DataType.FLOAT, b, width, t);
        INDArray y = Nd4j.rand(DataType.FLOAT, b, width, t);
        Runnable pass;
        if (mode.equals("forward")) {
            pass = () -> m.net.output(x, false);
        } else if (mode.equals("train")) {
            pass = () -> m.net.fit(x, y);
        } else {
            throw new IllegalArgumentException("unknown mode '" + mode + "'; expected forward or train");
        }
        long before = settledNative();
        long peak;
        try (Harness.MemorySampler sampler = new Harness.MemorySampler()) {
            for (int i = 0; i < passes; i++) {
                pass.run();
            }
            peak = sampler.peakNative();
        }
        long steady = settledNative();
        ForkedJvm.report("peak", peak - before);
        ForkedJvm.report("steady", steady - before);
    }

    /** Native memory once collections stop freeing any (ND4J frees a collected buffer on its own thread). */
    private static long settledNative() {
        long bytes = nativeNow();
        for (int round = 0, quiet = 0; round < 30 && quiet < 2; round++) {
            Harness.settle();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long now = nativeNow();
            quiet = now < bytes - MB ? 0 : quiet + 1;
            bytes = Math.min(bytes, now);
        }
        return nativeNow();
    }

    private static long nativeNow() {
        return org.bytedeco.javacpp.Pointer.physicalBytes() - Runtime.getRuntime().totalMemory();
    }
}
