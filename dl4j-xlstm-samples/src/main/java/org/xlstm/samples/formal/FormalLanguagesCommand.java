package org.xlstm.samples.formal;

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
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMLayer;
import org.xlstm.dl4j.conf.SLSTMLayer;
import org.xlstm.samples.common.MaskedAccuracy;
import org.xlstm.samples.common.TrainingProgress;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The xLSTM paper's formal-language experiment in small: each task is learnt from strings of up to
 * {@code --train-length} tokens and tested on strings up to twice as long (length extrapolation), by two-layer
 * networks of DL4J LSTM, mLSTM only, sLSTM only and mLSTM then sLSTM. All four get the same width, optimiser,
 * learning rate, clipping and number of steps. The paper's result: stacks with sLSTM solve parity and
 * extrapolate, mLSTM alone does not (its memory has no nonlinear state transition to flip a bit).
 */
@Command(name = "formal-languages", mixinStandardHelpOptions = true,
        description = "Parity, modular arithmetic, majority and a^n b^n counting: trained on short strings, tested on"
                + " strings up to twice as long, for DL4J LSTM, mLSTM, sLSTM and mLSTM+sLSTM; table and PNG.")
public final class FormalLanguagesCommand implements Callable<Integer> {

    /** The four two-layer stacks compared. */
    enum Model { LSTM, MLSTM, SLSTM, MIXED }

    @Option(names = "--quick", description = "parity only, 800 steps, 256 test strings (minutes on 2 cores)")
    private boolean quick;

    @Option(names = "--steps", description = "training minibatches per task and model (default: 1000, --quick 800)")
    private Integer steps;

    @Option(names = "--train-length", defaultValue = "10", description = "longest training string (default: ${DEFAULT-VALUE})")
    private int trainLength;

    @Option(names = "--width", defaultValue = "32", description = "hidden size of each layer (default: ${DEFAULT-VALUE})")
    private int width;

    @Option(names = "--tasks", split = ",",
            description = "tasks to run (default: PARITY,MODULAR_ARITHMETIC,MAJORITY,COUNTER; --quick PARITY)")
    private List<FormalLanguage> tasks;

    @Option(names = "--test-strings", description = "test strings per length range (default: 1024, --quick 256)")
    private Integer testStrings;

    @Option(names = "--out", defaultValue = "formal-languages-results", description = "output directory (default: ${DEFAULT-VALUE})")
    private Path out;

    @Option(names = "--seed", defaultValue = "42", description = "random seed (default: ${DEFAULT-VALUE})")
    private long seed;

    static final int BATCH = 32;
    static final double LEARNING_RATE = 1e-3;
    static final int MIN_LENGTH = 3;

    MultiLayerConfiguration network(Model model, FormalLanguage task) {
        int v = task.vocabulary;
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).updater(new Adam(LEARNING_RATE))
                .gradientNormalization(GradientNormalization.ClipL2PerLayer).gradientNormalizationThreshold(1.0)
                .list()
                .layer(recurrent(model, 0, v, width))
                .layer(recurrent(model, 1, width, width))
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(width).nOut(task.classes)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.recurrent(v))
                .build();
    }

    /** Layer {@code index} (0 or 1) of the stack: the only thing the four models differ in. */
    private static Layer recurrent(Model model, int index, int nIn, int nOut) {
        switch (model) {
            case LSTM:
                return new LSTM.Builder().nIn(nIn).nOut(nOut).activation(Activation.TANH).build();
            case MLSTM:
                return new MLSTMLayer.Builder().nIn(nIn).nOut(nOut).build();
            case SLSTM:
                return new SLSTMLayer.Builder().nIn(nIn).nOut(nOut).numHeads(1).blockPosition(index, 2).build();
            case MIXED:
                return index == 0 ? new MLSTMLayer.Builder().nIn(nIn).nOut(nOut).build()
                        : new SLSTMLayer.Builder().nIn(nIn).nOut(nOut).numHeads(1).blockPosition(1, 2).build();
            default:
                throw new IllegalArgumentException("unknown model " + model);
        }
    }

    @Override
    public Integer call() throws IOException {
        // the quick mode keeps the paper's headline (sLSTM solves parity and extrapolates, mLSTM does not): both
        // sLSTM stacks learnt parity after about 600 steps in the recorded full run
        int trainSteps = steps != null ? steps : quick ? 800 : 1000;
        if (tasks == null) {
            tasks = quick ? List.of(FormalLanguage.PARITY) : List.of(FormalLanguage.values());
        }
        if (testStrings == null) {
            testStrings = quick ? 256 : 1024;
        }
        Files.createDirectories(out);
        System.out.printf("formal languages: train on lengths %d-%d, test on %d-%d and %d-%d; %d steps of %d strings,"
                + " Adam %.0e, width %d, two layers%n", MIN_LENGTH, trainLength, MIN_LENGTH, trainLength,
                trainLength + 1, 2 * trainLength, trainSteps, BATCH, LEARNING_RATE, width);
        List<String[]> rows = new ArrayList<>();
        double[][][] accuracy = new double[tasks.size()][Model.values().length][];
        for (int t = 0; t < tasks.size(); t++) {
            FormalLanguage task = tasks.get(t);
            for (Model model : Model.values()) {
                MultiLayerNetwork net = new MultiLayerNetwork(network(model, task));
                net.init();
                Random random = new Random(seed);
                try (TrainingProgress progress = new TrainingProgress(task + " " + model, trainSteps)) {
                    net.addListeners(progress);
                    for (int step = 0; step < trainSteps; step++) {
                        net.fit(batch(task, random, MIN_LENGTH + random.nextInt(trainLength - MIN_LENGTH + 1), BATCH));
                    }
                }
                Random testRandom = new Random(seed + 1);
                double inRange = test(net, task, testRandom, MIN_LENGTH, trainLength);
                double longer = test(net, task, testRandom, trainLength + 1, 2 * trainLength);
                accuracy[t][model.ordinal()] = new double[] {inRange, longer};
                rows.add(new String[] {task.name(), model.name(), String.valueOf(net.numParams()),
                        String.format(Locale.ROOT, "%.4f", inRange), String.format(Locale.ROOT, "%.4f", longer)});
            }
        }
        printTable(accuracy);
        writeCsv(rows);
        writePlot(accuracy);
        System.out.println("wrote " + out.resolve("formal-languages.csv") + " and formal-languages.png");
        return 0;
    }

    /** One-hot strings [n, vocabulary, length] of one length, the class one-hot at the last step only. */
    static DataSet batch(FormalLanguage task, Random random, int requestedLength, int n) {
        int length = task.usableLength(requestedLength);
        INDArray features = Nd4j.create(DataType.FLOAT, n, task.vocabulary, length);
        INDArray labels = Nd4j.create(DataType.FLOAT, n, task.classes, length);
        INDArray mask = Nd4j.create(DataType.FLOAT, n, length);
        int[] tokens = new int[length];
        for (int i = 0; i < n; i++) {
            int label = task.sample(random, length, tokens);
            for (int t = 0; t < length; t++) {
                features.putScalar(i, tokens[t], t, 1);
            }
            labels.putScalar(i, label, length - 1, 1);
            mask.putScalar(i, length - 1, 1);
        }
        return new DataSet(features, labels, null, mask);
    }

    /** Accuracy on {@code --test-strings} strings with lengths drawn uniformly from [from, to]. */
    private double test(MultiLayerNetwork net, FormalLanguage task, Random random, int from, int to) {
        long correct = 0;
        long scored = 0;
        int perBatch = 64;
        for (int done = 0; done < testStrings; done += perBatch) {
            long[] c = MaskedAccuracy.count(net, batch(task, random, from + random.nextInt(to - from + 1),
                    Math.min(perBatch, testStrings - done)));
            correct += c[0];
            scored += c[1];
        }
        return (double) correct / scored;
    }

    private void printTable(double[][][] accuracy) {
        System.out.println();
        System.out.printf("accuracy: lengths %d-%d (trained) / %d-%d (extrapolation)%n", MIN_LENGTH, trainLength,
                trainLength + 1, 2 * trainLength);
        System.out.printf("%-20s", "task");
        for (Model model : Model.values()) {
            System.out.printf("%18s", model);
        }
        System.out.println();
        for (int t = 0; t < tasks.size(); t++) {
            System.out.printf("%-20s", tasks.get(t));
            for (Model model : Model.values()) {
                double[] a = accuracy[t][model.ordinal()];
                System.out.printf("%18s", String.format("%.2f / %.2f", a[0], a[1]));
            }
            System.out.println();
        }
    }

    private void writeCsv(List<String[]> rows) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("formal-languages.csv"), StandardCharsets.UTF_8))) {
            w.println("task,model,parameters,accuracy_train_lengths,accuracy_2x_lengths");
            rows.forEach(r -> w.println(String.join(",", r)));
        }
    }

    /** Extrapolation accuracy per task, one bar per model. */
    private void writePlot(double[][][] accuracy) throws IOException {
        System.setProperty("java.awt.headless", "true");
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(550)
                .title(String.format("Accuracy on strings of %d-%d tokens (trained up to %d)", trainLength + 1,
                        2 * trainLength, trainLength))
                .xAxisTitle("task").yAxisTitle("accuracy").build();
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        List<String> names = new ArrayList<>();
        tasks.forEach(t -> names.add(t.name().toLowerCase(Locale.ROOT)));
        for (Model model : Model.values()) {
            List<Double> values = new ArrayList<>();
            for (int t = 0; t < tasks.size(); t++) {
                values.add(accuracy[t][model.ordinal()][1]);
            }
            chart.addSeries(model.name(), names, values);
        }
        BitmapEncoder.saveBitmap(chart, out.resolve("formal-languages.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
