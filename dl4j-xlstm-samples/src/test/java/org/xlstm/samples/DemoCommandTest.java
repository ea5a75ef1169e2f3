package org.xlstm.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The quick-start demo runs on the bundled data, reports its error and the baselines', and learns. */
class DemoCommandTest {

    @Test
    void oneEpochReportsModelAndNaiveErrors() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        Map.Entry<Integer, String> result;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            result = Reference.runInProcess("demo", "--epochs", "1");
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, result.getKey(), out + result.getValue());
        Matcher m = Pattern.compile("xLSTM ([0-9.]+) ppm, naive last-value forecast ([0-9.]+) ppm").matcher(out);
        assertTrue(m.find(), out);
        double model = Double.parseDouble(m.group(1));
        double lastValue = Double.parseDouble(m.group(2));
        assertTrue(model < lastValue, "after one epoch the model should already beat the last-value forecast: " + out);
    }
}
