package org.xlstm.samples.swaplstm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/** The two PNGs of the swap-lstm sample, drawn with XChart. */
final class ForecastPlots {

    private ForecastPlots() {
    }

    /** Test-period truth and each model's forecast for the first station (Seattle). */
    static void forecast(Path file, DailyWeather weather, DataSet test, List<ForecastRun> runs, int window)
            throws IOException {
        XYChart chart = new XYChartBuilder().width(1100).height(550)
                .title("Next-day max temperature, " + DailyWeather.STATIONS.get(0) + ", test days")
                .xAxisTitle("test day").yAxisTitle("°C").build();
        INDArray truth = weather.tomorrowCelsius(SwapLstmCommand.lastStep(test.getLabels()),
                SwapLstmCommand.lastStep(test.getFeatures()));
        line(chart, "observed", column(truth), SeriesLines.SOLID);
        for (ForecastRun run : runs) {
            line(chart, run.name + String.format(" (RMSE %.2f °C, both stations)", run.rmse), column(run.forecast),
                    SeriesLines.DASH_DASH);
        }
        save(chart, file);
    }

    /** Validation loss (what early stopping watches) and mean training loss per epoch. */
    static void learningCurves(Path file, List<ForecastRun> runs) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(550).title("Learning curves (normalised MSE)")
                .xAxisTitle("epoch").yAxisTitle("loss").build();
        for (ForecastRun run : runs) {
            List<Double> epochs = new ArrayList<>();
            List<Double> validation = new ArrayList<>();
            run.validationLoss.forEach((epoch, loss) -> {
                epochs.add(epoch + 1.0);
                validation.add(loss);
            });
            chart.addSeries(run.name + " validation", epochs, validation).setMarker(SeriesMarkers.CIRCLE);
            List<Double> trainEpochs = new ArrayList<>();
            for (int e = 1; e <= run.trainingLoss.size(); e++) {
                trainEpochs.add((double) e);
            }
            chart.addSeries(run.name + " training", trainEpochs, run.trainingLoss).setMarker(SeriesMarkers.NONE)
                    .setLineStyle(SeriesLines.DASH_DASH);
        }
        save(chart, file);
    }

    private static void line(XYChart chart, String name, double[] y, java.awt.BasicStroke style) {
        double[] x = new double[y.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = i + 1;
        }
        XYSeries series = chart.addSeries(name, x, y);
        series.setMarker(SeriesMarkers.NONE);
        series.setLineStyle(style);
    }

    private static double[] column(INDArray celsius) {
        return celsius.getColumn(0).toDoubleVector();
    }

    private static void save(XYChart chart, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
