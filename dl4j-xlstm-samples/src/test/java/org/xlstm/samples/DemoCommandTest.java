package org.xlstm.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The quick-start demo runs on the bundled data and reports both errors. */
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
        assertTrue(out.contains("final test RMSE: xLSTM"), out);
        assertTrue(out.contains("naive last-value forecast"), out);
    }
}
