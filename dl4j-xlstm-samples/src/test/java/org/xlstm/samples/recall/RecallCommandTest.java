package org.xlstm.samples.recall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.xlstm.samples.common.SampleRun;

/** recall at tiny sizes writes its table and plot; its sequences ask for values that were shown with the keys. */
class RecallCommandTest {

    @Test
    void tinyRunWritesATableAndAPlot(@TempDir Path dir) throws IOException {
        SampleRun.run("recall", "--steps", "2", "--pairs", "2,4", "--widths", "8", "--keys", "8", "--out", dir.toString());
        List<String[]> rows = SampleRun.csv(dir.resolve("recall.csv"), "pairs,width,model,parameters,accuracy");
        assertEquals(2 * RecallCommand.Model.values().length, rows.size());
        for (String[] r : rows) {
            double a = Double.parseDouble(r[4]);
            assertTrue(a >= 0 && a <= 1 && Long.parseLong(r[3]) > 0, String.join(",", r));
        }
        SampleRun.assertPng(dir.resolve("recall.png"), 500);
    }

    @Test
    void everyQueryAsksForTheValueShownWithItsKey() {
        AssociativeRecall task = new AssociativeRecall(10, 6, 5);
        DataSet data = task.batch(new Random(3), 20);
        for (int i = 0; i < 20; i++) {
            int[] valueOfKey = new int[10];
            java.util.Arrays.fill(valueOfKey, -1);
            for (int t = 0; t < task.length(); t++) {
                INDArray x = data.getFeatures().get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.point(t));
                INDArray key = x.get(NDArrayIndex.interval(0, 10));
                INDArray value = x.get(NDArrayIndex.interval(10, 16));
                assertEquals(1.0, key.sumNumber().doubleValue(), "one key per step");
                int k = key.argMax().getInt(0);
                boolean query = data.getLabelsMaskArray().getDouble(i, t) == 1;
                assertEquals(t >= 5, query, "pairs first, then queries");
                if (!query) {
                    assertEquals(1.0, value.sumNumber().doubleValue(), "a pair step shows one value");
                    assertEquals(-1, valueOfKey[k], "keys are distinct");
                    valueOfKey[k] = value.argMax().getInt(0);
                } else {
                    assertEquals(0.0, value.sumNumber().doubleValue(), "a query shows no value");
                    int label = data.getLabels().get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.point(t))
                            .argMax().getInt(0);
                    assertEquals(valueOfKey[k], label);
                }
            }
        }
    }
}
