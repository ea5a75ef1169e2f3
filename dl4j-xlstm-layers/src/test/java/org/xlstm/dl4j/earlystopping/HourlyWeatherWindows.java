package org.xlstm.dl4j.earlystopping;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Next-hour temperature forecasting on the Seattle hourly climate normals
 * ({@code src/test/resources/data/seattle-weather-hourly-normals.csv}, attribution in the SOURCES.md beside it).
 *
 * <p>Input per hour ({@value #FEATURES} features, NCW): temperature, pressure and wind, each z-scored with the
 * mean and standard deviation of the training hours, and the hour of day as sin/cos. Label per hour: the change
 * of temperature to the following hour, divided by the standard deviation of the hourly changes in the training
 * hours, so an RnnOutputLayer with MSE forecasts the next hour's temperature (this hour's plus the predicted
 * change) at every step of a window. The naive forecast "next hour = this hour" predicts a change of 0; its
 * squared error is the squared label. Errors in °C are the normalised errors times {@link #deltaStd}.
 *
 * <p>The year is split in time order: training hours first, then validation (the early-stopping score), then
 * test (the final comparison). Training windows overlap (stride {@code trainStride}) and are shuffled once with a
 * fixed seed; validation and test windows do not overlap.
 */
final class HourlyWeatherWindows {
    static final String RESOURCE = "/data/seattle-weather-hourly-normals.csv";
    static final int FEATURES = 5;

    /** Standard deviation (°C) of the hour-to-hour temperature change in the training hours. */
    final double deltaStd;
    final List<DataSet> trainBatches;
    final DataSet validation;
    final DataSet test;

    private HourlyWeatherWindows(double deltaStd, List<DataSet> trainBatches, DataSet validation, DataSet test) {
        this.deltaStd = deltaStd;
        this.trainBatches = trainBatches;
        this.validation = validation;
        this.test = test;
    }

    /**
     * Loads the CSV and cuts it into windows of {@code window} hours: the first {@code trainFraction} of the
     * hours for training, the next {@code validationFraction} for validation, the rest for testing.
     */
    static HourlyWeatherWindows load(int window, int trainStride, int batchSize, double trainFraction,
            double validationFraction, long seed) {
        List<double[]> rows = readRows();
        int hours = rows.size();
        int trainEnd = (int) (hours * trainFraction);
        int validationEnd = (int) (hours * (trainFraction + validationFraction));

        // Column statistics over the training hours only: columns 0-2 = temperature, pressure, wind.
        double[] mean = new double[3];
        double[] std = new double[3];
        for (int c = 0; c < 3; c++) {
            double sum = 0;
            for (int h = 0; h < trainEnd; h++) {
                sum += rows.get(h)[c];
            }
            mean[c] = sum / trainEnd;
            double sq = 0;
            for (int h = 0; h < trainEnd; h++) {
                double d = rows.get(h)[c] - mean[c];
                sq += d * d;
            }
            std[c] = Math.sqrt(sq / trainEnd);
        }

        double deltaSq = 0;
        for (int h = 0; h + 1 < trainEnd; h++) {
            double d = rows.get(h + 1)[0] - rows.get(h)[0];
            deltaSq += d * d;
        }
        double deltaStd = Math.sqrt(deltaSq / (trainEnd - 1));

        double[][] features = new double[hours][FEATURES];
        double[] change = new double[hours];
        for (int h = 0; h < hours; h++) {
            double[] r = rows.get(h);
            for (int c = 0; c < 3; c++) {
                features[h][c] = (r[c] - mean[c]) / std[c];
            }
            double angle = 2 * Math.PI * r[3] / 24.0;
            features[h][3] = Math.sin(angle);
            features[h][4] = Math.cos(angle);
            if (h + 1 < hours) {
                change[h] = (rows.get(h + 1)[0] - r[0]) / deltaStd;
            }
        }

        // A window starting at hour s uses inputs s..s+window-1, labels the changes to hours s+1..s+window.
        List<Integer> trainStarts = new ArrayList<>();
        for (int s = 0; s + window < trainEnd; s += trainStride) {
            trainStarts.add(s);
        }
        Collections.shuffle(trainStarts, new Random(seed));
        List<DataSet> batches = new ArrayList<>();
        for (int i = 0; i < trainStarts.size(); i += batchSize) {
            batches.add(windows(features, change, trainStarts.subList(i, Math.min(trainStarts.size(), i + batchSize)), window));
        }
        DataSet validation = windows(features, change, nonOverlapping(trainEnd, validationEnd, window), window);
        DataSet test = windows(features, change, nonOverlapping(validationEnd, hours, window), window);
        return new HourlyWeatherWindows(deltaStd, batches, validation, test);
    }

    private static List<Integer> nonOverlapping(int from, int to, int window) {
        List<Integer> starts = new ArrayList<>();
        for (int s = from; s + window < to; s += window) {
            starts.add(s);
        }
        return starts;
    }

    private static DataSet windows(double[][] features, double[] change, List<Integer> starts, int window) {
        int n = starts.size();
        double[][][] x = new double[n][FEATURES][window];
        double[][][] y = new double[n][1][window];
        for (int i = 0; i < n; i++) {
            int s = starts.get(i);
            for (int t = 0; t < window; t++) {
                for (int f = 0; f < FEATURES; f++) {
                    x[i][f][t] = features[s + t][f];
                }
                y[i][0][t] = change[s + t];
            }
        }
        return new DataSet(Nd4j.create(x).castTo(DataType.FLOAT), Nd4j.create(y).castTo(DataType.FLOAT));
    }

    /** Rows of (temperature, pressure, wind, hour of day), in file order. */
    private static List<double[]> readRows() {
        List<double[]> rows = new ArrayList<>();
        try (InputStream in = HourlyWeatherWindows.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + RESOURCE);
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String header = reader.readLine();
            if (!"date,pressure,temperature,wind".equals(header)) {
                throw new IllegalStateException("unexpected header in " + RESOURCE + ": " + header);
            }
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.isEmpty()) {
                    continue;
                }
                String[] p = line.split(",");
                int hour = Integer.parseInt(p[0].substring(11, 13));
                rows.add(new double[] {Double.parseDouble(p[2]), Double.parseDouble(p[1]), Double.parseDouble(p[3]),
                    hour});
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    /** Mean squared error (normalised units) of predictions [n, 1, T] against the labels of {@code data}. */
    static double mse(INDArray predictions, DataSet data) {
        INDArray diff = predictions.castTo(DataType.DOUBLE).sub(data.getLabels().castTo(DataType.DOUBLE));
        return diff.mul(diff).meanNumber().doubleValue();
    }

    /** The naive forecast "next hour = this hour" as a predicted change: zeros, [n, 1, T]. */
    static INDArray persistence(DataSet data) {
        return Nd4j.zeros(data.getLabels().dataType(), data.getLabels().shape());
    }

    /** Root mean squared error in °C from a mean squared error in normalised units. */
    double rmseCelsius(double normalisedMse) {
        return Math.sqrt(normalisedMse) * deltaStd;
    }
}
