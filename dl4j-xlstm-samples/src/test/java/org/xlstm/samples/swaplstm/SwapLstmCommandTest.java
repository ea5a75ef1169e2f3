package org.xlstm.samples.swaplstm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xlstm.samples.common.SampleRun;

/**
 * swap-lstm at tiny sizes (one epoch, few windows), for both kinds of label: both models train with early
 * stopping, the best models are saved, the CSV parses, the PNGs decode, and the persistence baseline equals one
 * computed here straight from the bundled CSV (which checks the split and the conversion of labels and features
 * back to °C, including adding today's temperature back to a change label).
 */
class SwapLstmCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {"CHANGE", "LEVEL"})
    void tinyRunWritesParsableResultsAndPlots(String target, @TempDir Path dir) throws IOException {
        String out = SampleRun.run("swap-lstm", "--max-epochs", "1", "--patience", "1", "--train-stride", "30",
                "--width", "8", "--target", target, "--out", dir.toString());
        Map<String, String[]> rows = new TreeMap<>();
        for (String[] r : SampleRun.csv(dir.resolve("swap-lstm.csv"),
                "model,test_rmse_c,test_mae_c,parameters,epochs,best_epoch,first_epoch_s,median_epoch_s")) {
            rows.put(r[0], r);
        }
        assertEquals(List.of("LSTM", "persistence", "xLSTM"), new ArrayList<>(rows.keySet()));
        for (String model : List.of("LSTM", "xLSTM")) {
            String[] r = rows.get(model);
            double rmse = Double.parseDouble(r[1]);
            double mae = Double.parseDouble(r[2]);
            assertTrue(rmse > 0 && rmse < 30 && mae > 0 && mae <= rmse, model + ": " + String.join(",", r));
            assertTrue(Long.parseLong(r[3]) > 0, "parameters");
            assertEquals(1, Integer.parseInt(r[4]), "epochs");
            assertTrue(Double.parseDouble(r[6]) > 0, "first epoch time");
            assertTrue(Files.size(dir.resolve(model.toLowerCase() + "-best").resolve("bestModel.bin")) > 0);
        }
        assertEquals(persistenceRmse(), Double.parseDouble(rows.get("persistence")[1]), 1e-3);
        SampleRun.assertPng(dir.resolve("swap-lstm-forecast.png"), 500);
        SampleRun.assertPng(dir.resolve("swap-lstm-learning-curves.png"), 500);
        assertTrue(out.contains("RMSE (°C)") && out.contains("first / median epoch time"), out);
    }

    /** Tomorrow's max temperature forecast as today's, over the last 15% of the days, both stations pooled. */
    private static double persistenceRmse() throws IOException {
        List<String> csv = new ArrayList<>();
        try (var in = SwapLstmCommandTest.class.getResourceAsStream(DailyWeather.RESOURCE)) {
            csv.addAll(List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\R")));
        }
        Map<String, List<Double>> maxByStation = new HashMap<>();
        for (String line : csv.subList(1, csv.size())) {
            String[] cells = line.split(",");
            maxByStation.computeIfAbsent(cells[0], s -> new ArrayList<>()).add(Double.parseDouble(cells[3]));
        }
        double sum = 0;
        int n = 0;
        for (List<Double> max : maxByStation.values()) {
            int testStart = (int) Math.round(max.size() * 0.85);
            for (int day = testStart; day < max.size(); day++) {
                double error = max.get(day) - max.get(day - 1);
                sum += error * error;
                n++;
            }
        }
        return Math.sqrt(sum / n);
    }
}
