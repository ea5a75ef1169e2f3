package org.xlstm.samples.recall;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.samples.common.MaskedAccuracy;
import org.xlstm.samples.common.TrainingProgress;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Multi-query associative recall ({@link AssociativeRecall}) for one recurrent or attention layer of a given
 * width followed by a softmax output: DL4J {@code LSTM}, an {@link MLSTMLayer} and DL4J's
 * {@link SelfAttentionLayer}. The LSTM must squeeze every pair into a vector of {@code width} numbers; the
 * mLSTM stores them in a matrix memory (per head, head size squared); attention keeps all of them. Every model
 * gets the same steps, optimiser, learning rate and clipping. The paper's MQAR figure is the reference: mLSTM
 * far above LSTM, approaching attention.
 */
@Command(name = "recall", mixinStandardHelpOptions = true,
        description = "Multi-query associative recall: accuracy against the number of key-value pairs and the model"
                + " width for DL4J LSTM, mLSTM and DL4J SelfAttentionLayer; table and PNG.")
public final class RecallCommand implements Callable<Integer> {

    /** The layer compared. */
    enum Model { LSTM, MLSTM, ATTENTION }

    @Option(names = "--quick", description = "fewer steps and pairs (minutes on 2 cores)")
    private boolean quick;

    @Option(names = "--steps", description = "training minibatches per run (default: 600, --quick 400)")
    private Integer steps;

    @Option(names = "--pairs", split = ",", description = "numbers of key-value pairs (default: 4,8,16; --quick 4,8)")
    private List<Integer> pairs;

    @Option(names = "--widths", split = ",", description = "layer widths (default: 32)")
    private List<Integer> widths;

    @Option(names = "--keys", defaultValue = "32", description = "distinct keys and distinct values (default: ${DEFAULT-VALUE})")
    private int vocabulary;

    @Option(names = "--out", defaultValue = "recall-results", description = "output directory (default: ${DEFAULT-VALUE})")
    private Path out;

    @Option(names = "--seed", defaultValue = "42", description = "random seed (default: ${DEFAULT-VALUE})")
    private long seed;

    static final int BATCH = 32;
    static final int TEST_SEQUENCES = 512;
    static final double LEARNING_RATE = 3e-3;

    MultiLayerConfiguration network(Model model, AssociativeRecall task, int width) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).updater(new Adam(LEARNING_RATE))
                .gradientNormalization(GradientNormalization.ClipL2PerLayer).gradientNormalizationThreshold(1.0)
                .list()
                .layer(memory(model, task.features(), width))
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(width).nOut(task.values)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.recurrent(task.features()))
                .build();
    }

    private static Layer memory(Model model, int nIn, int width) {
        switch (model) {
            case LSTM:
                return new LSTM.Builder().nIn(nIn).nOut(width).activation(Activation.TANH).build();
            case MLSTM:
                // inner size 2·width (the official rounding up to 64 would give widths 16 and 32 the same memory)
                return new MLSTMLayer.Builder().nIn(nIn).nOut(width).innerSize(2L * width).build();
            case ATTENTION:
                return new SelfAttentionLayer.Builder().nIn(nIn).nOut(width).nHeads(4).projectInput(true).build();
            default:
                throw new IllegalArgumentException("unknown model " + model);
        }
    }

    @Override
    public Integer call() throws IOException {
        int trainSteps = steps != null ? steps : quick ? 400 : 600;
        List<Integer> pairCounts = pairs != null ? pairs : quick ? List.of(4, 8) : List.of(4, 8, 16);
        List<Integer> layerWidths = widths != null ? widths : List.of(32);
        Files.createDirectories(out);
        System.out.printf("associative recall: %d keys, %d values; %d steps of %d sequences, Adam %.0e%n", vocabulary,
                vocabulary, trainSteps, BATCH, LEARNING_RATE);
        List<Result> results = new ArrayList<>();
        for (int p : pairCounts) {
            AssociativeRecall task = new AssociativeRecall(vocabulary, vocabulary, p);
            for (int width : layerWidths) {
                for (Model model : Model.values()) {
                    results.add(run(model, task, width, trainSteps));
                }
            }
        }
        printTable(results);
        writeCsv(results);
        writePlot(results, pairCounts);
        System.out.println("wrote " + out.resolve("recall.csv") + " and recall.png");
        return 0;
    }

    private Result run(Model model, AssociativeRecall task, int width, int trainSteps) {
        MultiLayerNetwork net = new MultiLayerNetwork(network(model, task, width));
        net.init();
        Random random = new Random(seed);
        try (TrainingProgress progress = new TrainingProgress(String.format("%s w%d p%d", model, width, task.pairs),
                trainSteps)) {
            net.addListeners(progress);
            for (int step = 0; step < trainSteps; step++) {
                net.fit(task.batch(random, BATCH));
            }
        }
        long[] c = MaskedAccuracy.count(net, task.batch(new Random(seed + 1), TEST_SEQUENCES));
        return new Result(model, task.pairs, width, net.numParams(), (double) c[0] / c[1]);
    }

    /** Test accuracy of one trained model. */
    static final class Result {
        final Model model;
        final int pairs;
        final int width;
        final long parameters;
        final double accuracy;

        Result(Model model, int pairs, int width, long parameters, double accuracy) {
            this.model = model;
            this.pairs = pairs;
            this.width = width;
            this.parameters = parameters;
            this.accuracy = accuracy;
        }
    }

    private static void printTable(List<Result> results) {
        System.out.println();
        System.out.printf("%-7s %-6s %-10s %12s %10s%n", "pairs", "width", "model", "parameters", "accuracy");
        for (Result r : results) {
            System.out.printf("%-7d %-6d %-10s %12d %10.3f%n", r.pairs, r.width, r.model, r.parameters, r.accuracy);
        }
    }

    private void writeCsv(List<Result> results) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("recall.csv"), StandardCharsets.UTF_8))) {
            w.println("pairs,width,model,parameters,accuracy");
            for (Result r : results) {
                w.printf(Locale.ROOT, "%d,%d,%s,%d,%.4f%n", r.pairs, r.width, r.model, r.parameters, r.accuracy);
            }
        }
    }

    /** Accuracy against parameters, one line per model and number of pairs. */
    private void writePlot(List<Result> results, List<Integer> pairCounts) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(1000).height(600).title("Multi-query associative recall")
                .xAxisTitle("parameters (widths " + widths(results) + ")").yAxisTitle("accuracy").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        for (Model model : Model.values()) {
            for (int p : pairCounts) {
                List<Double> x = new ArrayList<>();
                List<Double> y = new ArrayList<>();
                for (Result r : results) {
                    if (r.model == model && r.pairs == p) {
                        x.add((double) r.parameters);
                        y.add(r.accuracy);
                    }
                }
                chart.addSeries(model + ", " + p + " pairs", x, y).setMarker(SeriesMarkers.CIRCLE);
            }
        }
        BitmapEncoder.saveBitmap(chart, out.resolve("recall.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static String widths(List<Result> results) {
        return results.stream().map(r -> String.valueOf(r.width)).distinct().reduce((a, b) -> a + ", " + b).orElse("");
    }
}
