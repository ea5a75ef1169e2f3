package org.xlstm.samples.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.samples.JitCompiler;
import org.xlstm.samples.bench.Models.Model;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Side-by-side throughput, latency and memory of mLSTM/sLSTM blocks, DL4J's LSTM and DL4J's self-attention in
 * one process, ending with one {@code ratio <name> <value>} line per headline ratio.
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
        description = "Measures forward and training tokens/s, rnnTimeStep latency and peak off-heap memory of"
                + " mLSTM and sLSTM blocks against DL4J LSTM and SelfAttentionLayer in one process, the machine's"
                + " sgemm rate, and prints the headline ratios as 'ratio <name> <value>' lines.")
public final class BenchmarkCommand implements Callable<Integer> {

    @Option(names = "--quick", description = "shorter run (T up to 4096, fewer repeats and streaming steps;"
            + " aims at under 10 minutes on an idle 2-core machine)")
    private boolean quick;

    @Option(names = "--smoke", hidden = true, description = "tiny sizes, for tests (seconds)")
    private boolean smoke;

    @Option(names = "--omp-check", hidden = true,
            description = "only the DL4J LSTM fit measurement (to compare OMP_WAIT_POLICY settings)")
    private boolean ompCheck;

    @Option(names = "--utilisation-only", description = "only the sgemm rate and the mlstm_fwd_flop_utilisation"
            + " line (about a minute; for comparing kernel changes)")
    private boolean utilisationOnly;

    @Option(names = "--plot", description = "PNG plot of tokens/s against T (default: ${DEFAULT-VALUE})",
            defaultValue = "benchmark.png")
    private Path plot;

    @Option(names = "--stream-steps", description = "rnnTimeStep steps of the streaming test (default: 100000,"
            + " --quick 2000)")
    private Integer streamSteps;

    @Option(names = "--forks", description = "fresh JVMs per ratio of paired measurements (default: 3, --quick 1)")
    private Integer forks;

    @Option(names = "--part", hidden = true, description = "one forked measurement, run in this JVM: "
            + Part.NAMES)
    private String part;

    /** The measurements that run in forked JVMs, each printing its results with {@link ForkedJvm#report}. */
    private enum Part {
        UTILISATION, MLSTM_TRAIN, SLSTM_TRAIN, STREAM;

        static final String NAMES = "utilisation, mlstm-train, slstm-train, stream";

        String cliName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static Part of(String cliName) {
            for (Part p : values()) {
                if (p.cliName().equals(cliName)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown --part '" + cliName + "'; expected one of " + NAMES);
        }
    }

    /** Sizes and repeat counts of one run mode. */
    private static final class Plan {
        String mode;
        long e = 256;
        int[] lengths = {256, 1024, 4096};
        int longLength = 16384;
        boolean longInTable;
        long tokensPerBatch = 8192;
        int ratioT = 1024;
        int ratioBatch = 8;
        long utilE = 512;
        int utilT = 2048;
        int linearShort = 1024;
        int linearMid = 4096;
        int linearLong = 16384;
        int stepSteps = 100;
        int streamSteps = 2000;
        int sgemmN = 2048;
        int forks = 3;
        /** The training ratios' rounds: each fork builds both networks and alternates their fit calls. */
        InterleavedPair trainPair = new InterleavedPair(2, 5);
        /** The utilisation ratio's rounds: the sgemm call and the block forward alternate. */
        InterleavedPair utilisationPair = new InterleavedPair(3, 10);
        Harness harness;
        /** The machine's sgemm rate printed at the start: 3 warm-ups, 10 timed. */
        Harness utilisationHarness = new Harness(3, 10, 10);
    }

    private Plan plan() {
        Plan p = new Plan();
        if (smoke) {
            p.mode = "smoke";
            p.e = 32;
            p.lengths = new int[] {8, 16};
            p.longLength = 32;
            p.tokensPerBatch = 32;
            p.ratioT = 16;
            p.ratioBatch = 2;
            p.utilE = 32;
            p.utilT = 32;
            p.linearShort = 8;
            p.linearMid = 16;
            p.linearLong = 32;
            p.stepSteps = 5;
            p.streamSteps = 10;
            p.sgemmN = 128;
            p.harness = new Harness(0, 1, 0.5);
            p.utilisationHarness = new Harness(1, 2, 0.5);
            p.forks = 1;
            p.trainPair = new InterleavedPair(1, 2);
            p.utilisationPair = new InterleavedPair(1, 2);
        } else if (quick) {
            p.mode = "quick";
            p.harness = new Harness(1, 3, 6);
            p.forks = 1;
            p.trainPair = new InterleavedPair(2, 4);
        } else {
            p.mode = "full";
            p.longInTable = true;
            p.stepSteps = 1000;
            p.streamSteps = 100_000;
            p.harness = new Harness(2, 5, 60);
        }
        if (streamSteps != null) {
            p.streamSteps = streamSteps;
        }
        if (forks != null) {
            if (forks < 1) {
                throw new IllegalArgumentException("--forks must be at least 1, got " + forks);
            }
            p.forks = forks;
        }
        return p;
    }

    /** One table row. */
    private static final class Row {
        String model;
        long params;
        int t;
        long batch;
        Harness.Result forward;
        Harness.Result train;
        double stepMs = Double.NaN;
        String note = "";
    }

    private final List<Row> rows = new ArrayList<>();
    private final Map<String, Double> ratios = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        Plan p = plan();
        if (part != null) {
            runPart(Part.of(part), p);
            return 0;
        }
        header(p);
        if (ompCheck) {
            ompCheck(p);
            return 0;
        }
        sgemm(p);
        if (utilisationOnly) {
            utilisation(p);
            printRatios();
            return 0;
        }

        // ---- side-by-side table: equal tokens per batch (B = tokensPerBatch / T) ----
        Model mlstm = Models.mlstmStack(p.e, 2, p.e);
        long hEqual = Models.lstmHiddenForParams(p.e, 2, mlstm.sequenceParams);
        List<Model> models = Arrays.asList(mlstm, Models.slstmBlockModel(p.e),
                Models.lstmStack("LSTM x2 H=" + hEqual + " (=params)", p.e, hEqual, 2),
                Models.lstmStack("LSTM x1 H=" + p.e + " (=hidden)", p.e, p.e, 1), Models.attention(p.e, Models.HEADS));
        System.out.printf(Locale.ROOT, "models: E=%d, %d heads, mLSTM chunk %d; tokens per batch %d (B = %d / T)%n",
                p.e, Models.HEADS, Models.CHUNK, p.tokensPerBatch, p.tokensPerBatch);
        for (Model m : models) {
            System.out.printf(Locale.ROOT, "  %-26s %,d sequence-model parameters%n", m.name, m.sequenceParams);
        }
        System.out.println();
        printTableHeader();
        for (Model m : models) {
            double stepMs = m.recurrent ? stepLatencyMs(m, p) : Double.NaN;
            List<Integer> ts = new ArrayList<>();
            for (int t : p.lengths) {
                ts.add(t);
            }
            if (p.longInTable && m.recurrent) {
                ts.add(p.longLength);
            }
            boolean first = true;
            for (int t : ts) {
                Row row = new Row();
                row.model = m.name;
                row.params = m.sequenceParams;
                row.t = t;
                row.batch = Math.max(1, p.tokensPerBatch / t);
                if (first) {
                    row.stepMs = stepMs;
                    first = false;
                }
                INDArray x = Nd4j.rand(DataType.FLOAT, row.batch, p.e, t);
                INDArray y = Nd4j.rand(DataType.FLOAT, row.batch, p.e, t);
                MultiLayerNetwork net = m.net;
                row.forward = p.harness.measure(() -> net.output(x, false));
                row.train = p.harness.measure(() -> net.fit(x, y));
                rows.add(row);
                printRow(row);
            }
            if (!m.recurrent && p.longInTable) {
                notes.add(m.name + " at T=" + p.longLength + " not run: " + attentionMemoryNote(p.e, p.longLength, 1));
            }
        }

        // ---- ratios, each from paired rounds in forked JVMs ----
        putRatio("mlstm_train_vs_lstm", trainRatio(p, Part.MLSTM_TRAIN));
        putRatio("slstm_train_vs_lstm", trainRatio(p, Part.SLSTM_TRAIN));
        utilisation(p);
        linearity(p, mlstm, models.get(4));
        streamInFork(p);
        ConcurrentSlowdown.Result shared = ConcurrentSlowdown.measure(p.harness, p.e, p.ratioT, p.ratioBatch);
        putRatio("lstm_concurrent_slowdown", shared.xlstmSlowdown());
        putRatio("lstm_concurrent_slowdown_dl4j_load", shared.lstmSlowdown());
        putRatio("lstm_concurrent_xlstm_over_dl4j_load", shared.xlstmOverLstm());

        if (!smoke || plotGiven()) {
            writePlot(p);
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "load average at end: %s%n", loadAverage());
        System.out.printf(Locale.ROOT, "benchmark wall time: %.1f s%n", (System.nanoTime() - started) / 1e9);
        for (String n : notes) {
            System.out.println("note: " + n);
        }
        printRatios();
        return 0;
    }

    private void printRatios() {
        for (Map.Entry<String, Double> r : ratios.entrySet()) {
            System.out.printf(Locale.ROOT, "ratio %s %.4f%n", r.getKey(), r.getValue());
        }
        System.out.flush();
    }

    private boolean plotGiven() {
        return !plot.toString().equals("benchmark.png");
    }

    private void putRatio(String name, double value) {
        ratios.put(name, value);
    }

    private static double tokensPerSecond(Row row, Harness.Result r) {
        return r.ok() ? row.batch * row.t / r.median() : Double.NaN;
    }

    // ---------------------------------------------------------------------------------------------------

    private void header(Plan p) {
        System.out.println("xLSTM benchmark (" + p.mode + " run)");
        System.out.println("date: " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        System.out.println("cpu: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " processors");
        System.out.println("load average at start: " + loadAverage());
        System.out.println("threads: " + OmpSetup.description());
        System.out.println("java: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")
                + ", max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB, JavaCPP maxBytes "
                + Pointer.maxBytes() / (1 << 20) + " MB");
        Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
        System.out.println("nd4j: backend " + Nd4j.getBackend().getClass().getSimpleName() + ", blas "
                + env.get("blas.vendor") + ", omp threads " + env.get("omp.threads") + ", blas threads "
                + env.get("blas.threads") + ", data type FLOAT");
        System.out.println("timing: " + p.harness.warmups + " untimed warm-up call(s), then up to " + p.harness.repeats
                + " timed calls (fewer once " + p.harness.budgetSeconds + " s are spent; n = timed forward/train"
                + " calls); tokens/s from the median; fwd/train MB: peak off-heap ND4J tracks;"
                + " native MB: peak RSS minus committed heap; RSS MB: peak resident set");
        System.out.printf(Locale.ROOT, "ratios: training and utilisation from %d fresh JVM(s) each, the two halves"
                + " alternating (%d + %d training rounds, %d + %d utilisation rounds: warm-up + timed), median of"
                + " the per-round ratios; streaming in its own fresh JVM%n", p.forks, p.trainPair.warmupRounds,
                p.trainPair.rounds, p.utilisationPair.warmupRounds, p.utilisationPair.rounds);
        System.out.println();
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        return "unknown";
    }

    static String loadAverage() {
        try {
            String[] f = new String(Files.readAllBytes(Paths.get("/proc/loadavg")), StandardCharsets.UTF_8).trim()
                    .split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unavailable";
        }
    }

    private void sgemm(Plan p) {
        int n = p.sgemmN;
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n).dup('f');
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n).dup('f');
        INDArray c = Nd4j.create(DataType.FLOAT, new long[] {n, n}, 'f');
        Harness.Result r = p.utilisationHarness.measure(() -> Nd4j.gemm(a, b, c, false, false, 1.0, 0.0));
        double flops = 2.0 * n * n * n;
        System.out.printf(Locale.ROOT, "sgemm %d² FLOAT f-order (Nd4j.gemm, warm): median %.1f GFLOP/s, best %.1f"
                + " GFLOP/s over %d repeats%n%n", n, flops / r.median() / 1e9, flops / r.min() / 1e9, r.seconds.size());
    }

    private double stepLatencyMs(Model m, Plan p) {
        MultiLayerNetwork net = m.net;
        net.rnnClearPreviousState();
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, p.e, 1);
        for (int i = 0; i < Math.max(3, p.stepSteps / 10); i++) {
            net.rnnTimeStep(x);
        }
        double[] ms = new double[p.stepSteps];
        for (int i = 0; i < p.stepSteps; i++) {
            long t0 = System.nanoTime();
            net.rnnTimeStep(x);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        net.rnnClearPreviousState();
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    private static final String TABLE_FORMAT = "%-26s %10s %6s %4s %11s %11s %9s %9s %9s %9s %8s  %s%n";

    private static void printTableHeader() {
        System.out.printf(Locale.ROOT, TABLE_FORMAT, "model", "params", "T", "B", "fwd tok/s", "train tok/s",
                "step ms", "fwd MB", "train MB", "native MB", "RSS MB", "notes");
    }

    private static void printRow(Row r) {
        String note = r.note;
        if (r.forward.failure != null) {
            note += " forward failed: " + r.forward.failure;
        }
        if (r.train.failure != null) {
            note += " train failed: " + r.train.failure;
        }
        if (r.forward.ok() && r.train.ok()) {
            note += " n=" + r.forward.seconds.size() + "/" + r.train.seconds.size();
        }
        System.out.printf(Locale.ROOT, TABLE_FORMAT, r.model, String.format(Locale.ROOT, "%,d", r.params), r.t,
                r.batch, fmt(tokensPerSecond(r, r.forward)), fmt(tokensPerSecond(r, r.train)),
                Double.isNaN(r.stepMs) ? "" : String.format(Locale.ROOT, "%.2f", r.stepMs),
                mb(r.forward.peakOffHeapBytes), mb(r.train.peakOffHeapBytes),
                mb(Math.max(r.forward.peakNativeBytes, r.train.peakNativeBytes)), mb(Math.max(r.forward.peakRssBytes, r.train.peakRssBytes)), note.trim());
        System.out.flush();
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%,.0f", v);
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%,.1f", bytes / 1048576.0);
    }

    private static String attentionMemoryNote(long e, int t, long batch) {
        double gb = Models.HEADS * (double) t * t * 4 * batch / 1e9;
        return String.format(Locale.ROOT, "its score tensor alone is %d heads x T² x 4 B = %.1f GB per copy"
                + " (softmax and backward keep several copies)", Models.HEADS, gb);
    }

    /**
     * The utilisation ratio from each fork's rounds of one sgemm call and one E = {@code utilE} block forward,
     * alternating: per round, the forward's GFLOP/s over the sgemm's; the median over all rounds of all forks.
     */
    private void utilisation(Plan p) throws Exception {
        double perToken = Models.mlstmBlockFlopsPerToken(p.utilE) + 2.0 * p.utilE;
        double forwardFlops = perToken * p.utilT;
        double sgemmFlops = 2.0 * p.sgemmN * p.sgemmN * p.sgemmN;
        System.out.printf(Locale.ROOT, "%nmLSTM block forward, E=%d, T=%d, B=1 (analytic %.2f MFLOP/token), alternating"
                + " with sgemm %d², %d fresh JVM(s):%n", p.utilE, p.utilT, perToken / 1e6, p.sgemmN, p.forks);
        List<Double> ratios = new ArrayList<>();
        for (InterleavedPair.Result r : forkPairs(p, Part.UTILISATION)) {
            for (int i = 0; i < r.a.length; i++) {
                ratios.add(forwardFlops / r.b[i] / (sgemmFlops / r.a[i]));
            }
            System.out.printf(Locale.ROOT, "  fork: sgemm median %.1f GFLOP/s, forward median %.1f ms = %.1f GFLOP/s%n",
                    sgemmFlops / InterleavedPair.median(r.a) / 1e9, InterleavedPair.median(r.b) * 1e3,
                    forwardFlops / InterleavedPair.median(r.b) / 1e9);
        }
        putRatio("mlstm_fwd_flop_utilisation", medianOf("forward GFLOP/s over sgemm GFLOP/s", ratios));
    }

    /**
     * A training ratio from each fork's alternating fit calls of the xLSTM network and its DL4J LSTM baseline
     * (equal tokens): per round, the LSTM's fit time over the xLSTM's; the median over all rounds of all forks.
     */
    private double trainRatio(Plan p, Part part) throws Exception {
        System.out.printf(Locale.ROOT, "%n%s: training tokens/s, T=%d B=%d, fit calls alternating in %d fresh JVM(s):%n",
                part.cliName(), p.ratioT, p.ratioBatch, p.forks);
        List<Double> ratios = new ArrayList<>();
        for (InterleavedPair.Result r : forkPairs(p, part)) {
            for (int i = 0; i < r.a.length; i++) {
                ratios.add(r.b[i] / r.a[i]);
            }
            double tokens = (double) p.ratioT * p.ratioBatch;
            System.out.printf(Locale.ROOT, "  fork: xLSTM median %,.0f tokens/s, LSTM median %,.0f tokens/s%n",
                    tokens / InterleavedPair.median(r.a), tokens / InterleavedPair.median(r.b));
        }
        return medianOf("xLSTM tokens/s over LSTM tokens/s", ratios);
    }

    private static double medianOf(String what, List<Double> perRound) {
        double[] values = perRound.stream().mapToDouble(Double::doubleValue).toArray();
        double median = InterleavedPair.median(values);
        System.out.printf(Locale.ROOT, "  %s per round: median %.4f of %d (min %.4f, max %.4f)%n", what, median,
                values.length, Arrays.stream(values).min().getAsDouble(), Arrays.stream(values).max().getAsDouble());
        return median;
    }

    /** Runs {@code part} in {@link Plan#forks} fresh JVMs, one after the other, and returns their paired times. */
    private List<InterleavedPair.Result> forkPairs(Plan p, Part part) throws Exception {
        List<InterleavedPair.Result> results = new ArrayList<>();
        for (int f = 0; f < p.forks; f++) {
            Map<String, String> reported = ForkedJvm.run(ForkedJvm.inheritedOptions(), partArgs(p, part),
                    "seconds_b", "    ");
            results.add(new InterleavedPair.Result(seconds(reported.get("seconds_a")),
                    seconds(reported.get("seconds_b"))));
        }
        return results;
    }

    /** This run's command line for {@code part} in a child JVM: the same mode and sizes. */
    private List<String> partArgs(Plan p, Part part) {
        List<String> args = new ArrayList<>(List.of("benchmark", "--part", part.cliName(),
                "--stream-steps", Integer.toString(p.streamSteps)));
        if (smoke) {
            args.add("--smoke");
        } else if (quick) {
            args.add("--quick");
        }
        return args;
    }

    private static double[] seconds(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).mapToDouble(Double::parseDouble).toArray();
    }

    private static String commaSeparated(double[] values) {
        StringBuilder sb = new StringBuilder();
        for (double v : values) {
            sb.append(sb.length() == 0 ? "" : ",").append(v);
        }
        return sb.toString();
    }

    /** The child's side: measures {@code part} in this JVM and reports its results. */
    private void runPart(Part part, Plan p) {
        switch (part) {
            case UTILISATION: {
                Model block = Models.mlstmStack(p.utilE, 1, 1);
                INDArray x = Nd4j.rand(DataType.FLOAT, 1, p.utilE, p.utilT);
                int n = p.sgemmN;
                INDArray a = Nd4j.rand(DataType.FLOAT, n, n).dup('f');
                INDArray b = Nd4j.rand(DataType.FLOAT, n, n).dup('f');
                INDArray c = Nd4j.create(DataType.FLOAT, new long[] {n, n}, 'f');
                reportPair(p.utilisationPair.measure("sgemm", () -> Nd4j.gemm(a, b, c, false, false, 1.0, 0.0),
                        "block forward", () -> block.net.output(x, false)));
                break;
            }
            case MLSTM_TRAIN: {
                Model mlstm = Models.mlstmStack(p.e, 2, p.e);
                long h = Models.lstmHiddenForParams(p.e, 2, mlstm.sequenceParams);
                trainPair(p, mlstm, Models.lstmStack("LSTM x2 H=" + h, p.e, h, 2));
                break;
            }
            case SLSTM_TRAIN:
                trainPair(p, Models.slstmBlockModel(p.e), Models.lstmStack("LSTM x1 H=" + p.e, p.e, p.e, 1));
                break;
            case STREAM:
                stream(p);
                break;
            default:
                throw new IllegalStateException("no measurement for part " + part);
        }
    }

    private static void trainPair(Plan p, Model xlstm, Model lstm) {
        INDArray x = Nd4j.rand(DataType.FLOAT, p.ratioBatch, p.e, p.ratioT);
        INDArray y = Nd4j.rand(DataType.FLOAT, p.ratioBatch, p.e, p.ratioT);
        reportPair(p.trainPair.measure(xlstm.name, () -> xlstm.net.fit(x, y), lstm.name, () -> lstm.net.fit(x, y)));
    }

    private static void reportPair(InterleavedPair.Result r) {
        ForkedJvm.report("seconds_a", commaSeparated(r.a));
        ForkedJvm.report("seconds_b", commaSeparated(r.b));
    }

    private void linearity(Plan p, Model mlstm, Model attention) {
        System.out.println();
        System.out.println("forward time at batch 1 (median ms):");
        double mShort = forwardSeconds(p, mlstm, p.linearShort);
        double mMid = forwardSeconds(p, mlstm, p.linearMid);
        double mLong = forwardSeconds(p, mlstm, p.linearLong);
        double aShort = forwardSeconds(p, attention, p.linearShort);
        double aMid = forwardSeconds(p, attention, p.linearMid);
        putRatio("mlstm_linear_16k_over_1k", mLong / mShort);
        putRatio("mlstm_4k_over_1k", mMid / mShort);
        putRatio("attention_4k_over_1k", aMid / aShort);
        notes.add(attention.name + " at T=" + p.linearLong + " not run (" + attentionMemoryNote(p.e, p.linearLong, 1)
                + "); its ratio is T=" + p.linearMid + " over T=" + p.linearShort + ", beside mlstm_4k_over_1k"
                + " (linear scaling: 4, quadratic: 16)");
    }

    private double forwardSeconds(Plan p, Model m, int t) {
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, p.e, t);
        Harness.Result r = p.harness.measure(() -> m.net.output(x, false));
        System.out.printf(Locale.ROOT, "  %-26s T=%-6d %10.1f ms  peak off-heap %s MB%s%n", m.name, t,
                r.ok() ? r.median() * 1e3 : Double.NaN, mb(r.peakOffHeapBytes),
                r.failure == null ? "" : "  failed: " + r.failure);
        return r.ok() ? r.median() : Double.NaN;
    }

    /** The untimed steps before the streaming test's timed ones: at least as many as timed, up to this. */
    private static final int STREAM_WARMUP_CAP = 5_000;
    /** The most untimed steps while the JIT compilers are still busy (and at most six times the timed ones). */
    private static final int STREAM_WARMUP_MAX = 30_000;
    /** Untimed steps between two looks at the JIT compilers' queue. */
    private static final int STREAM_WARMUP_BLOCK = 500;

    /**
     * The streaming line, measured in a fresh JVM: after the table's training runs the same steps read slower in
     * this process (its heap, C heap and JIT profile are the training's), which is not what a streaming user sees.
     */
    private void streamInFork(Plan p) throws Exception {
        System.out.println();
        Map<String, String> reported = ForkedJvm.run(ForkedJvm.inheritedOptions(), partArgs(p, Part.STREAM),
                "p99_ms", "");
        putRatio("stream_ms_per_token", Double.parseDouble(reported.get("median_ms")));
        putRatio("stream_p99_ms_per_token", Double.parseDouble(reported.get("p99_ms")));
    }

    private static void stream(Plan p) {
        Model m = Models.mixedStack(p.e);
        MultiLayerNetwork net = m.net;
        net.rnnClearPreviousState();
        INDArray x = Nd4j.rand(DataType.FLOAT, 1, p.e, 1);
        // The JIT compiles the step form's loops over the first thousands of steps (with 20 warm-up steps the quick
        // run's 2,000 timed steps measured mostly compilation, and with 2,000 the idle machine's p99 was 4.1 ms
        // against 2.1 after 5,000): as many untimed steps as timed ones, at least, then more while a block of
        // steps leaves the JIT compilers work, so that the quick run's tail is a long-running stream's.
        int warmupMin = Math.min(p.streamSteps, STREAM_WARMUP_CAP);
        int warmupMax = (int) Math.min(STREAM_WARMUP_MAX, 6L * p.streamSteps);
        int warmup = 0;
        while (warmup < warmupMin || warmup < warmupMax && JitCompiler.busy()) {
            for (int i = 0; i < STREAM_WARMUP_BLOCK; i++) {
                net.rnnTimeStep(x);
            }
            warmup += STREAM_WARMUP_BLOCK;
        }
        boolean compiled = !JitCompiler.busy();
        Harness.settle();
        long offStart = Harness.offHeapBytes();
        long rssStart = Pointer.physicalBytes();
        double[] ms = new double[p.streamSteps];
        long t0 = System.nanoTime();
        for (int i = 0; i < p.streamSteps; i++) {
            long s = System.nanoTime();
            net.rnnTimeStep(x);
            ms[i] = (System.nanoTime() - s) / 1e6;
        }
        double total = (System.nanoTime() - t0) / 1e9;
        // The memory sampler's thread would share the cores with the timed steps: the peaks are read over as many
        // further, untimed steps.
        long offPeak;
        long rssPeak;
        try (Harness.MemorySampler sampler = new Harness.MemorySampler()) {
            for (int i = 0; i < p.streamSteps; i++) {
                net.rnnTimeStep(x);
            }
            offPeak = sampler.peakOffHeap();
            rssPeak = sampler.peakRss();
        }
        Harness.settle();
        long offEnd = Harness.offHeapBytes();
        long rssEnd = Pointer.physicalBytes();
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        double p99 = sorted[Math.min(sorted.length - 1, (int) Math.floor(sorted.length * 0.99))];
        ForkedJvm.log(String.format(Locale.ROOT, "streaming rnnTimeStep (fresh JVM), %s (%,d params), E=%d, B=1,"
                        + " %,d steps in %.1f s after %,d untimed (JIT %s): median %.3f ms/token, mean %.3f, p99 %.3f, max %.3f",
                m.name, m.sequenceParams, p.e, p.streamSteps, total, warmup, compiled ? "idle" : "still compiling",
                median, total * 1e3 / p.streamSteps, p99,
                sorted[sorted.length - 1]));
        ForkedJvm.log(String.format(Locale.ROOT, "  off-heap (ND4J + JavaCPP): start %s MB, peak %s MB (over as many"
                        + " untimed steps after the timed ones), end %s MB; RSS: start %s MB, peak %s MB, end %s MB",
                mb(offStart), mb(offPeak), mb(offEnd), mb(rssStart), mb(rssPeak), mb(rssEnd)));
        ForkedJvm.report("median_ms", median);
        ForkedJvm.report("p99_ms", p99);
    }

    private void writePlot(Plan p) throws IOException {
        Map<String, Plot.Line[]> byModel = new LinkedHashMap<>();
        for (Row r : rows) {
            Plot.Line[] pair = byModel.computeIfAbsent(r.model, k -> new Plot.Line[] {
                new Plot.Line(k, false, new ArrayList<>(), new ArrayList<>()),
                new Plot.Line(k, true, new ArrayList<>(), new ArrayList<>())});
            double f = tokensPerSecond(r, r.forward);
            double t = tokensPerSecond(r, r.train);
            if (!Double.isNaN(f)) {
                pair[0].t.add((double) r.t);
                pair[0].tokensPerSecond.add(f);
            }
            if (!Double.isNaN(t)) {
                pair[1].t.add((double) r.t);
                pair[1].tokensPerSecond.add(t);
            }
        }
        List<Plot.Line> lines = new ArrayList<>();
        for (Plot.Line[] pair : byModel.values()) {
            lines.add(pair[0]);
            lines.add(pair[1]);
        }
        Plot.write(plot, String.format(Locale.ROOT, "xLSTM vs DL4J LSTM / attention, E=%d, %d tokens per batch (%s run)",
                p.e, p.tokensPerBatch, p.mode), lines);
        System.out.println();
        System.out.println("plot: " + plot.toAbsolutePath());
    }

    private void ompCheck(Plan p) {
        Model m = Models.lstmStack("LSTM x1 H=" + p.e, p.e, p.e, 1);
        int t = 256;
        int b = 16;
        INDArray x = Nd4j.rand(DataType.FLOAT, b, p.e, t);
        INDArray y = Nd4j.rand(DataType.FLOAT, b, p.e, t);
        Harness.Result fwd = p.harness.measure(() -> m.net.output(x, false));
        Harness.Result fit = p.harness.measure(() -> m.net.fit(x, y));
        System.out.printf(Locale.ROOT, "omp-check %s T=%d B=%d: forward %.0f tokens/s, fit %.0f tokens/s (median of"
                        + " %d / %d)%n", m.name, t, b, b * t / fwd.median(), b * t / fit.median(), fwd.seconds.size(),
                fit.seconds.size());
    }
}
