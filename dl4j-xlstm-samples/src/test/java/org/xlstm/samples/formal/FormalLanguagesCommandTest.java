package org.xlstm.samples.formal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.xlstm.samples.common.SampleRun;

/**
 * formal-languages at tiny sizes (a few steps): every task and model has a row with accuracies in [0, 1], the
 * PNG decodes; and the generated strings carry the labels their definitions give, recomputed here.
 */
class FormalLanguagesCommandTest {

    @Test
    void tinyRunWritesATableAndAPlot(@TempDir Path dir) throws IOException {
        String out = SampleRun.run("formal-languages", "--steps", "2", "--train-length", "6", "--width", "8",
                "--test-strings", "16", "--out", dir.toString());
        List<String[]> rows = SampleRun.csv(dir.resolve("formal-languages.csv"),
                "task,model,parameters,accuracy_train_lengths,accuracy_2x_lengths");
        assertEquals(FormalLanguage.values().length * FormalLanguagesCommand.Model.values().length, rows.size());
        for (String[] r : rows) {
            assertTrue(Long.parseLong(r[2]) > 0, String.join(",", r));
            for (int c = 3; c <= 4; c++) {
                double a = Double.parseDouble(r[c]);
                assertTrue(a >= 0 && a <= 1, String.join(",", r));
            }
        }
        SampleRun.assertPng(dir.resolve("formal-languages.png"), 500);
        assertTrue(out.contains("PARITY") && out.contains("extrapolation"), out);
    }

    @Test
    void labelsFollowTheLanguageDefinitions() {
        Random random = new Random(7);
        for (FormalLanguage task : FormalLanguage.values()) {
            for (int i = 0; i < 200; i++) {
                int length = task.usableLength(3 + random.nextInt(30));
                DataSet one = FormalLanguagesCommand.batch(task, random, length, 1);
                int[] tokens = new int[length];
                for (int t = 0; t < length; t++) {
                    tokens[t] = one.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                            org.nd4j.linalg.indexing.NDArrayIndex.all(),
                            org.nd4j.linalg.indexing.NDArrayIndex.point(t)).argMax().getInt(0);
                }
                int label = one.getLabels().get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                        org.nd4j.linalg.indexing.NDArrayIndex.all(),
                        org.nd4j.linalg.indexing.NDArrayIndex.point(length - 1)).argMax().getInt(0);
                assertEquals(expected(task, tokens), label, task + " " + java.util.Arrays.toString(tokens));
            }
        }
    }

    /** The class of a string, computed from the task's definition independently of the generator. */
    private static int expected(FormalLanguage task, int[] s) {
        switch (task) {
            case PARITY:
                return (int) java.util.Arrays.stream(s).filter(x -> x == 1).count() % 2;
            case MODULAR_ARITHMETIC: {
                assertEquals(1, s.length % 2, "ends with a digit");
                int v = s[0];
                for (int t = 1; t < s.length; t += 2) {
                    int d = s[t + 1];
                    v = s[t] == 5 ? v + d : s[t] == 6 ? v - d : v * d;
                    v = Math.floorMod(v, 5);
                }
                return v;
            }
            case MAJORITY: {
                int[] counts = new int[4];
                java.util.Arrays.stream(s).forEach(x -> counts[x]++);
                int best = 0;
                for (int k = 1; k < 4; k++) {
                    best = counts[k] > counts[best] ? k : best;
                }
                return best;
            }
            case COUNTER: {
                int as = 0;
                while (as < s.length && s[as] == 0) {
                    as++;
                }
                return as * 2 == s.length ? 1 : 0;
            }
            default:
                throw new IllegalArgumentException(task.toString());
        }
    }
}
