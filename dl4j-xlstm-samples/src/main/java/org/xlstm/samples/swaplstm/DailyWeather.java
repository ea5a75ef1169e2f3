package org.xlstm.samples.swaplstm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The NOAA daily weather of Seattle and New York, 2012-2015 ({@code data/weather.csv}, public domain, see
 * {@code data/SOURCES.md}) as forecasting windows: the inputs of a day are the four variables of both stations
 * (8 features), the target of a day is the next day's maximum temperature at both stations: by default its change
 * from the day's own (forecasting the change makes "no change", persistence, the natural starting point, and a
 * model of the change does not have to carry the level through its recurrent state), else the level itself.
 *
 * <p>The days are split in time order: the first part trains, the next validates (early stopping), the last
 * tests. Windows belong to the part that holds the day their last step forecasts, so no window of a later part
 * is seen in training. Every feature is normalised with the mean and standard deviation of the training days
 * only: recurrent layers (and xLSTM's exponential gates most of all) train badly on raw values in the tens.
 */
public final class DailyWeather {

    /** The bundled CSV: location,date,precipitation,temp_max,temp_min,wind,weather. */
    public static final String RESOURCE = "/data/weather.csv";
    public static final List<String> STATIONS = List.of("Seattle", "New York");
    public static final List<String> VARIABLES = List.of("precipitation", "temp_max", "temp_min", "wind");
    /** Index of the forecast variable (temp_max) among {@link #VARIABLES}. */
    private static final int TARGET_VARIABLE = 1;

    /** Which days a window forecasts. */
    public enum Part { TRAIN, VALIDATION, TEST }

    private final double[][] raw;
    private final double[] mean;
    private final double[] std;
    private final int validationStart;
    private final int testStart;
    /** Labels are tomorrow's change from today (else tomorrow's level). */
    private final boolean change;

    private DailyWeather(double[][] raw, int validationStart, int testStart, boolean change) {
        this.raw = raw;
        this.change = change;
        this.validationStart = validationStart;
        this.testStart = testStart;
        int features = raw[0].length;
        mean = new double[features];
        std = new double[features];
        for (int f = 0; f < features; f++) {
            for (int d = 0; d < validationStart; d++) {
                mean[f] += raw[d][f];
            }
            mean[f] /= validationStart;
            for (int d = 0; d < validationStart; d++) {
                std[f] += (raw[d][f] - mean[f]) * (raw[d][f] - mean[f]);
            }
            std[f] = Math.sqrt(std[f] / validationStart);
        }
    }

    /**
     * Loads the bundled data; the given fractions of the days train and validate, the rest tests. With
     * {@code change} the labels are tomorrow's change from today, else tomorrow's temperature.
     */
    public static DailyWeather load(double trainFraction, double validationFraction, boolean change) throws IOException {
        double[][] days = readDays();
        int validationStart = (int) Math.round(days.length * trainFraction);
        int testStart = (int) Math.round(days.length * (trainFraction + validationFraction));
        return new DailyWeather(days, validationStart, testStart, change);
    }

    public int features() {
        return STATIONS.size() * VARIABLES.size();
    }

    public int targets() {
        return STATIONS.size();
    }

    public int days() {
        return raw.length;
    }

    /**
     * Windows of {@code length} days whose last step forecasts a day of {@code part}, one every {@code stride}
     * days. Features [n, 8, length] and labels [n, 2, length] (NCW): step t's label is the normalised maximum
     * temperature of the day after step t (minus that of step t's day, for change labels). With {@code everyStep}
     * all steps are scored (sequence-to-sequence training); otherwise the label mask keeps only the last step, the
     * forecast that is evaluated.
     */
    public DataSet windows(Part part, int length, int stride, boolean everyStep) {
        int firstTarget = Math.max(length, part == Part.TRAIN ? 0 : part == Part.VALIDATION ? validationStart : testStart);
        int endTarget = part == Part.TRAIN ? validationStart : part == Part.VALIDATION ? testStart : raw.length;
        List<Integer> lastInputDays = new ArrayList<>();
        // the last window of a part ends on its last day, so that the test windows reach the end of the data
        for (int target = endTarget - 1; target >= firstTarget; target -= stride) {
            lastInputDays.add(0, target - 1);
        }
        int n = lastInputDays.size();
        if (n == 0) {
            throw new IllegalArgumentException("no " + part + " window of " + length + " days: the part has "
                    + (endTarget - firstTarget) + " forecast days after the first " + length + " days");
        }
        INDArray features = Nd4j.create(DataType.FLOAT, n, features(), length);
        INDArray labels = Nd4j.create(DataType.FLOAT, n, targets(), length);
        INDArray labelMask = Nd4j.create(DataType.FLOAT, n, length);
        for (int w = 0; w < n; w++) {
            int first = lastInputDays.get(w) - length + 1;
            for (int t = 0; t < length; t++) {
                int day = first + t;
                for (int f = 0; f < features(); f++) {
                    features.putScalar(new long[] {w, f, t}, normalised(day, f));
                }
                for (int s = 0; s < targets(); s++) {
                    labels.putScalar(new long[] {w, s, t}, normalised(day + 1, targetFeature(s))
                            - (change ? normalised(day, targetFeature(s)) : 0));
                }
                labelMask.putScalar(w, t, everyStep || t == length - 1 ? 1 : 0);
            }
        }
        return new DataSet(features, labels, null, labelMask);
    }

    /**
     * Tomorrow's maximum temperatures in °C [n, stations] from the last step's labels or outputs [n, stations] and
     * the last step's features [n, features] (today's temperatures, which a change label is relative to).
     */
    public INDArray tomorrowCelsius(INDArray lastStepLabels, INDArray lastStepFeatures) {
        INDArray levels = lastStepLabels.castTo(DataType.DOUBLE).dup();
        if (change) {
            levels.addi(todayNormalised(lastStepFeatures));
        }
        return toCelsius(levels);
    }

    /** Today's maximum temperatures in °C [n, stations] from the last step's features [n, features]. */
    public INDArray todayCelsius(INDArray lastStepFeatures) {
        return toCelsius(todayNormalised(lastStepFeatures));
    }

    private INDArray todayNormalised(INDArray lastStepFeatures) {
        INDArray today = Nd4j.create(DataType.DOUBLE, lastStepFeatures.size(0), targets());
        for (int s = 0; s < targets(); s++) {
            today.getColumn(s).assign(lastStepFeatures.getColumn(targetFeature(s)).castTo(DataType.DOUBLE));
        }
        return today;
    }

    /** Normalised temperatures [n, stations] back to °C. */
    private INDArray toCelsius(INDArray normalisedTargets) {
        INDArray celsius = normalisedTargets.castTo(DataType.DOUBLE).dup();
        for (int s = 0; s < targets(); s++) {
            int f = targetFeature(s);
            celsius.slice(s, 1).muli(std[f]).addi(mean[f]);
        }
        return celsius;
    }

    private static int targetFeature(int station) {
        return station * VARIABLES.size() + TARGET_VARIABLE;
    }

    private double normalised(int day, int feature) {
        return (raw[day][feature] - mean[feature]) / std[feature];
    }

    /** One row per date: the variables of each station in {@link #STATIONS} order. */
    private static double[][] readDays() throws IOException {
        Map<String, double[]> byDate = new LinkedHashMap<>();
        try (InputStream in = DailyWeather.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("bundled data set " + RESOURCE + " is missing from the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            reader.readLine();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                String[] cells = line.split(",");
                int station = STATIONS.indexOf(cells[0]);
                if (station < 0) {
                    throw new IOException("unknown station '" + cells[0] + "' in " + RESOURCE + ", expected one of " + STATIONS);
                }
                double[] day = byDate.computeIfAbsent(cells[1], date -> new double[STATIONS.size() * VARIABLES.size()]);
                for (int v = 0; v < VARIABLES.size(); v++) {
                    day[station * VARIABLES.size() + v] = Double.parseDouble(cells[2 + v]);
                }
            }
        }
        // the file lists each station's days in date order, Seattle first: insertion order is date order
        return byDate.values().toArray(new double[0][]);
    }
}
