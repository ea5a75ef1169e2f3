package org.xlstm.samples.generate;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.imports.XlstmLmConfig;
import org.xlstm.dl4j.model.XlstmLanguageModel;
import org.xlstm.samples.common.TrainingProgress;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A character-level xLSTM language model ({@link XlstmLanguageModel}: embedding, mLSTM block, sLSTM block,
 * final norm, head) trained on Shakespeare (public domain, see {@code data/SOURCES.md}), then generating text
 * one character at a time through {@code rnnTimeStep}, sampled with a temperature and top-k, printed as it
 * comes. The recurrent state is all a step carries forward, so memory and time per token stay flat however
 * long the generation runs (attention would keep a growing cache of every past token); the sample measures
 * both and plots them.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Trains a character-level xLSTM language model on Shakespeare, then streams generated text"
                + " through rnnTimeStep (temperature, top-k) and plots memory and ms per token over the tokens.")
public final class GenerateCommand implements Callable<Integer> {

    static final String TEXT = "/data/shakespeare-excerpt.txt";

    @Option(names = "--quick", description = "fewer training steps and generated tokens (minutes on 2 cores)")
    private boolean quick;

    @Option(names = "--steps", description = "training minibatches (default: 300, --quick 200)")
    private Integer steps;

    @Option(names = "--tokens", description = "characters to generate (default: 100000, --quick 10000)")
    private Integer tokens;

    @Option(names = "--print", defaultValue = "600", description = "generated characters to print (default: ${DEFAULT-VALUE})")
    private int print;

    @Option(names = "--embedding", defaultValue = "64", description = "embedding size (default: ${DEFAULT-VALUE})")
    private int embedding;

    @Option(names = "--context", defaultValue = "128", description = "training sequence length (default: ${DEFAULT-VALUE})")
    private int context;

    @Option(names = "--temperature", defaultValue = "0.8", description = "sampling temperature (default: ${DEFAULT-VALUE})")
    private double temperature;

    @Option(names = "--top-k", defaultValue = "10", description = "sample among the k most likely characters (default: ${DEFAULT-VALUE})")
    private int topK;

    @Option(names = "--prompt", defaultValue = "ROMEO:\n", description = "text the generation starts from")
    private String prompt;

    @Option(names = "--out", defaultValue = "generate-results", description = "output directory (default: ${DEFAULT-VALUE})")
    private Path out;

    @Option(names = "--seed", defaultValue = "42", description = "random seed (default: ${DEFAULT-VALUE})")
    private long seed;

    static final int BATCH = 32;
    /** Tokens between memory and timing checkpoints. */
    static final int CHECKPOINT = 1000;
    /** Upper bound on the full collections of one heap reading. */
    static final int MAX_COLLECTIONS = 8;

    /**
     * The official xLSTM language-model configuration (the same YAML keys as the Python package): two blocks,
     * mLSTM first and sLSTM second, then DL4J's softmax cross-entropy for training.
     */
    MultiLayerNetwork languageModel(int vocabulary) {
        return languageModel(vocabulary, embedding, context, seed);
    }

    static MultiLayerNetwork languageModel(int vocabulary, int embedding, int context, long seed) {
        XlstmLmConfig config = XlstmLmConfig.fromYaml("vocab_size: " + vocabulary + "\nembedding_dim: " + embedding
                + "\nnum_blocks: 2\nslstm_at: [1]\ncontext_length: " + context + "\n"
                + "mlstm_block: {mlstm: {num_heads: 4, conv1d_kernel_size: 4, qkv_proj_blocksize: 4}}\n"
                + "slstm_block: {slstm: {num_heads: 4, conv1d_kernel_size: 4}, feedforward: {proj_factor: 1.3}}\n");
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .updater(new Adam(2e-3)).gradientNormalization(GradientNormalization.ClipL2PerLayer)
                .gradientNormalizationThreshold(1.0).list();
        for (Layer layer : XlstmLanguageModel.layers(config)) {
            list.layer(layer);
        }
        list.layer(new RnnLossLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).build());
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        return net;
    }

    @Override
    public Integer call() throws IOException {
        int trainSteps = steps != null ? steps : quick ? 200 : 300;
        int generated = tokens != null ? tokens : quick ? 10_000 : 100_000;
        CharacterVocabulary text = CharacterVocabulary.of(readText());
        Files.createDirectories(out);
        MultiLayerNetwork net = languageModel(text.size());
        System.out.printf("Shakespeare excerpt: %,d characters, %d distinct; xLSTM LM (mLSTM + sLSTM blocks, E=%d),"
                + " %,d parameters; %d steps of %d x %d characters%n", text.length(), text.size(), embedding,
                net.numParams(), trainSteps, BATCH, context);
        Random random = new Random(seed);
        try (TrainingProgress progress = new TrainingProgress("training", trainSteps)) {
            net.addListeners(progress);
            for (int step = 0; step < trainSteps; step++) {
                net.fit(text.batch(random, BATCH, context));
            }
        }
        net.setListeners();
        // DL4J's loss of a sequence sums over its steps
        System.out.printf("training loss %.3f nats/character (uniform guess: %.3f)%n%n", net.score() / context,
                Math.log(text.size()));

        List<double[]> checkpoints = generate(net, text, generated, new Random(seed + 1));
        writeCsv(checkpoints);
        writePlot(checkpoints);
        double[] first = checkpoints.get(0);
        double[] last = checkpoints.get(checkpoints.size() - 1);
        System.out.printf(Locale.ROOT, "%nafter %,d tokens: heap %.1f MB, off-heap %.1f MB, %.3f ms/token;"
                + " after %,d tokens: heap %.1f MB (%+.1f%%), off-heap %.1f MB (%+.1f%%), %.3f ms/token%n",
                (long) first[0], first[1], first[2], first[3], (long) last[0], last[1], 100 * (last[1] / first[1] - 1),
                last[2], 100 * (last[2] / first[2] - 1), last[3]);
        System.out.println("wrote " + out.resolve("generate.csv") + ", generate.png and generated.txt");
        return 0;
    }

    /**
     * Primes the state with the prompt, then samples {@code count} characters one {@code rnnTimeStep} at a time,
     * printing the first {@code --print} as they come (the progress bar starts after them). Every
     * {@value #CHECKPOINT} tokens: [tokens, heap MB, off-heap MB, mean ms per token since the last checkpoint],
     * memory read after a garbage collection, outside the timed steps.
     */
    private List<double[]> generate(MultiLayerNetwork net, CharacterVocabulary text, int count, Random random)
            throws IOException {
        net.rnnClearPreviousState();
        INDArray logits = net.rnnTimeStep(text.ids(prompt));
        StringBuilder story = new StringBuilder(prompt);
        System.out.print(prompt);
        List<double[]> checkpoints = new ArrayList<>();
        INDArray next = Nd4j.create(DataType.FLOAT, 1, 1, 1);
        ProgressBar bar = null;
        long blockStart = System.nanoTime();
        try {
            for (int t = 1; t <= count; t++) {
                int id = Sampling.topK(lastStep(logits), temperature, topK, random);
                story.append(text.character(id));
                if (t <= print) {
                    System.out.print(text.character(id));
                    System.out.flush();
                } else if (bar == null) {
                    System.out.println();
                    bar = new ProgressBarBuilder().setTaskName("generating").setInitialMax(count).startsFrom(t - 1,
                            java.time.Duration.ZERO).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(1000).build();
                }
                next.putScalar(0, 0, 0, id);
                logits = net.rnnTimeStep(next);
                if (t % CHECKPOINT == 0) {
                    double ms = (System.nanoTime() - blockStart) / 1e6 / CHECKPOINT;
                    checkpoints.add(new double[] {t, liveHeapBytes() / 1e6,
                            Nd4j.getMemoryManager().allocatedMemory(0) / 1e6, ms});
                    if (bar != null) {
                        bar.stepTo(t);
                        bar.setExtraMessage(String.format(Locale.ROOT, " %.2f ms/token", ms));
                    }
                    blockStart = System.nanoTime();
                }
            }
        } finally {
            if (bar != null) {
                bar.stepTo(count);
                bar.close();
            }
        }
        Files.writeString(out.resolve("generated.txt"), story, StandardCharsets.UTF_8);
        if (checkpoints.isEmpty()) {
            throw new IllegalArgumentException("generate at least " + CHECKPOINT + " tokens to measure memory and time");
        }
        return checkpoints;
    }

    /**
     * The heap that survives full collections: the sum over the heap pools of their usage right after a
     * collection ({@code getCollectionUsage}), which does not count what other threads (progress bar, ND4J's
     * deallocator) allocate between the collection and the reading. Dead arrays are freed in two rounds (a
     * collection finds their references, ND4J's deallocator thread releases them, a later collection takes
     * what they held), and after training there are thousands of them, so it collects until the reading stops
     * falling (at most {@value #MAX_COLLECTIONS} times).
     */
    private static long liveHeapBytes() {
        long previous = Long.MAX_VALUE;
        for (int round = 0; round < MAX_COLLECTIONS; round++) {
            System.gc();
            long used = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                MemoryUsage afterCollection = pool.getCollectionUsage();
                if (pool.getType() == MemoryType.HEAP && afterCollection != null) {
                    used += afterCollection.getUsed();
                }
            }
            if (used > previous * 0.99) {
                return Math.min(used, previous);
            }
            previous = used;
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return previous;
    }

    /** The logits of the last step, [vocabulary]. */
    private static double[] lastStep(INDArray logits) {
        return logits.slice(0).getColumn(logits.size(2) - 1).toDoubleVector();
    }

    private static String readText() throws IOException {
        try (InputStream in = GenerateCommand.class.getResourceAsStream(TEXT)) {
            if (in == null) {
                throw new IOException("bundled text " + TEXT + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private void writeCsv(List<double[]> checkpoints) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("generate.csv"), StandardCharsets.UTF_8))) {
            w.println("tokens,heap_mb,offheap_mb,ms_per_token");
            for (double[] c : checkpoints) {
                w.printf(Locale.ROOT, "%d,%.3f,%.3f,%.4f%n", (long) c[0], c[1], c[2], c[3]);
            }
        }
    }

    /** Memory (left axis) and ms per token (right axis) against generated tokens. */
    private void writePlot(List<double[]> checkpoints) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(1000).height(550).title("Streaming generation through rnnTimeStep")
                .xAxisTitle("generated tokens").yAxisTitle("MB").build();
        chart.setYAxisGroupTitle(1, "ms per token");
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        chart.getStyler().setYAxisMin(0, 0.0);
        chart.getStyler().setYAxisMin(1, 0.0);
        double[][] columns = new double[4][checkpoints.size()];
        for (int i = 0; i < checkpoints.size(); i++) {
            for (int c = 0; c < 4; c++) {
                columns[c][i] = checkpoints.get(i)[c];
            }
        }
        chart.addSeries("JVM heap (MB, after GC)", columns[0], columns[1]).setMarker(SeriesMarkers.NONE);
        chart.addSeries("ND4J off-heap (MB)", columns[0], columns[2]).setMarker(SeriesMarkers.NONE);
        XYSeries ms = chart.addSeries("ms per token", columns[0], columns[3]);
        ms.setMarker(SeriesMarkers.NONE);
        ms.setYAxisGroup(1);
        BitmapEncoder.saveBitmap(chart, out.resolve("generate.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
