package org.xlstm.samples.bench;

import java.awt.Color;
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

    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b), new Color(0x17becf), new Color(0x7f7f7f)};

    /** Lines of one model share a colour: in {@code lines}, each model's forward line precedes its training line. */
    static void write(Path file, String title, List<Line> lines) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(1000).height(650).title(title).xAxisTitle("sequence length T")
                .yAxisTitle("tokens / s").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendVisible(true);
        int model = -1;
        for (Line line : lines) {
            if (!line.training) {
                model++;
            }
            if (line.t.isEmpty()) {
                continue;
            }
            XYSeries s = chart.addSeries(line.label + (line.training ? " train" : " forward"), line.t,
                    line.tokensPerSecond);
            s.setMarker(SeriesMarkers.CIRCLE);
            Color color = PALETTE[Math.max(0, model) % PALETTE.length];
            s.setLineColor(color);
            s.setMarkerColor(color);
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
