package org.xlstm.samples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.xlstm.dl4j.conf.MLSTMBlock;
import org.xlstm.dl4j.conf.SLSTMBlock;
import org.xlstm.dl4j.conf.XlstmLayerNorm;
import org.xlstm.dl4j.runtime.GatedFeedForwardModule;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Quick start: next-month forecasting of the Mauna Loa CO2 series (Scripps CO2 Program, see
 * {@code data/SOURCES.md}) with an mLSTM block and an sLSTM block, against the naive last-value and seasonal
 * forecasts.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Trains a small mLSTM + sLSTM network to forecast the next month of the Mauna Loa CO2 series"
                + " (Scripps CO2 Program, CC BY 4.0) and compares its test error with the naive last-value and seasonal forecasts.")
public final class DemoCommand implements Callable<Integer> {

    private static final String DATA = "/data/co2-concentration.csv";
    private static final int WINDOW = 36;
    private static final int WIDTH = 32;
    private static final int BATCH = 32;
    private static final double TRAIN_FRACTION = 0.8;

    @Option(names = "--epochs", defaultValue = "40", description = "maximum training epochs (default: ${DEFAULT-VALUE})")
    private int epochs;

    @Option(names = "--max-seconds", defaultValue = "90",
            description = "stop training after this many seconds (default: ${DEFAULT-VALUE})")
    private int maxSeconds;

    @Option(names = "--seed", defaultValue = "42", description = "random seed (default: ${DEFAULT-VALUE})")
    private long seed;

    @Override
    public Integer call() throws IOException {
        double[] series = readSeries();
        // The series trends upward out of the range seen in training, so the model forecasts the
        // month-to-month change (stationary, with a strong seasonal cycle) and adds it to the last value.
        double[] change = new double[series.length - 1];
        for (int i = 0; i < change.length; i++) {
            change[i] = series[i + 1] - series[i];
        }
        int split = (int) (change.length * TRAIN_FRACTION);
        double mean = 0;
        for (int i = 0; i < split; i++) {
            mean += change[i];
        }
        mean /= split;
        double var = 0;
        for (int i = 0; i < split; i++) {
            var += (change[i] - mean) * (change[i] - mean);
        }
        double std = Math.sqrt(var / split);
        double[] z = new double[change.length];
        for (int i = 0; i < change.length; i++) {
            z[i] = (change[i] - mean) / std;
        }
        // training windows lie inside the first 80%; test windows forecast a month of the last 20%
        DataSet train = windows(z, 0, split - WINDOW - 1);
        DataSet test = windows(z, split - WINDOW - 1, change.length - WINDOW - 1);
        System.out.printf("Mauna Loa CO2, %d months: %d training windows, %d test windows of %d months%n",
                series.length, train.numExamples(), test.numExamples(), WINDOW);

        MultiLayerNetwork net = new MultiLayerNetwork(configuration());
        net.init();
        System.out.println("network: mLSTM block + sLSTM block, " + net.numParams() + " parameters");
        double lastValue = baselineRmse(test, mean, std, 0);
        double seasonal = baselineRmse(test, mean, std, 12);
        long start = System.nanoTime();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            train.shuffle(seed + epoch);
            for (DataSet batch : train.batchBy(BATCH)) {
                net.fit(batch);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("epoch %3d  %5.1f s  training loss %.5f  test RMSE %.3f ppm%n", epoch, seconds,
                    net.score(train), modelRmse(net, test) * std);
            if (seconds > maxSeconds) {
                break;
            }
        }
        System.out.printf("final test RMSE of next-month CO2: xLSTM %.3f ppm, naive last-value forecast %.3f ppm,"
                + " seasonal forecast (last value + change 12 months earlier) %.3f ppm%n",
                modelRmse(net, test) * std, lastValue, seasonal);
        return 0;
    }

    private MultiLayerConfiguration configuration() {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).updater(new Adam(3e-3)).list()
                .layer(new Convolution1DLayer.Builder().kernelSize(1).nIn(1).nOut(WIDTH)
                        .activation(Activation.IDENTITY).rnnDataFormat(RNNFormat.NCW).name("input_projection").build())
                .layer(new MLSTMBlock.Builder().size(WIDTH).numHeads(2).numBlocks(2).dataFormat(RNNFormat.NCW)
                        .name("mlstm").build())
                .layer(new SLSTMBlock.Builder().size(WIDTH).numHeads(2).blockPosition(1, 2).ffnProjFactor(1.3)
                        .ffnActivation(GatedFeedForwardModule.Activation.GELU).dataFormat(RNNFormat.NCW).name("slstm")
                        .build())
                .layer(new XlstmLayerNorm.Builder().size(WIDTH).dataFormat(RNNFormat.NCW).name("norm").build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(WIDTH).nOut(1)
                        .activation(Activation.IDENTITY).dataFormat(RNNFormat.NCW).name("forecast").build())
                .build();
    }

    /** Windows starting at {@code from} (inclusive) to {@code to} (exclusive): each step predicts the next month's change. */
    private static DataSet windows(double[] z, int from, int to) {
        int n = to - from;
        INDArray features = Nd4j.create(DataType.FLOAT, n, 1, WINDOW);
        INDArray labels = Nd4j.create(DataType.FLOAT, n, 1, WINDOW);
        for (int w = 0; w < n; w++) {
            for (int t = 0; t < WINDOW; t++) {
                features.putScalar(new long[] {w, 0, t}, z[from + w + t]);
                labels.putScalar(new long[] {w, 0, t}, z[from + w + t + 1]);
            }
        }
        return new DataSet(features, labels);
    }

    /** Root mean squared error of the last step's forecast, in normalised units. */
    private static double modelRmse(MultiLayerNetwork net, DataSet test) {
        INDArray predicted = net.output(test.getFeatures()).get(NDArrayIndex.all(), NDArrayIndex.point(0),
                NDArrayIndex.point(WINDOW - 1));
        return rmse(predicted, lastLabel(test));
    }

    /**
     * RMSE in ppm of forecasting next month's change as the change {@code lag} months earlier (0: no change,
     * the last-value forecast); the level error equals the change error.
     */
    private static double baselineRmse(DataSet test, double mean, double std, int lag) {
        INDArray actual = lastLabel(test).castTo(DataType.DOUBLE).mul(std).add(mean);
        INDArray forecast = lag == 0 ? actual.mul(0)
                : test.getLabels().get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.point(WINDOW - 1 - lag))
                        .castTo(DataType.DOUBLE).mul(std).add(mean);
        return rmse(forecast, actual);
    }

    private static INDArray lastLabel(DataSet test) {
        return test.getLabels().get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.point(WINDOW - 1));
    }

    private static double rmse(INDArray predicted, INDArray actual) {
        return Math.sqrt(predicted.castTo(DataType.DOUBLE).squaredDistance(actual.castTo(DataType.DOUBLE))
                / actual.length());
    }

    /** The CO2 column (ppm) of the bundled CSV (Date, CO2, adjusted CO2). */
    private static double[] readSeries() throws IOException {
        List<Double> values = new ArrayList<>();
        try (InputStream in = DemoCommand.class.getResourceAsStream(DATA)) {
            if (in == null) {
                throw new IOException("bundled data set " + DATA + " is missing from the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            reader.readLine();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    values.add(Double.parseDouble(line.split(",")[1]));
                }
            }
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
