package org.xlstm.samples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.knowm.xchart.style.lines.SeriesLines;

/** Tokens/s against sequence length, forward (solid) and training (dashed), log-log. */
final class Plot {

    private Plot() {
    }

    /** One line: T values and tokens/s at each. */
    static final class Line {
        final String label;
        final boolean training;
        final List<Double> t;
        final List<Double> tokensPerSecond;

        Line(String label, boolean training, List<Double> t, List<Double> tokensPerSecond) {
            this.label = label;
            this.training = training;
            this.t = t;
            this.tokensPerSecond = tokensPerSecond;
        }
    }

    static void write(Path file, String title, List<Line> lines) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(1000).height(650).title(title).xAxisTitle("sequence length T")
                .yAxisTitle("tokens / s").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendVisible(true);
        for (Line line : lines) {
            if (line.t.isEmpty()) {
                continue;
            }
            XYSeries s = chart.addSeries(line.label + (line.training ? " train" : " forward"), line.t,
                    line.tokensPerSecond);
            s.setMarker(SeriesMarkers.CIRCLE);
            if (line.training) {
                s.setLineStyle(SeriesLines.DASH_DASH);
            }
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

}
