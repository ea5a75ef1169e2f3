package org.xlstm.samples.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.xlstm.samples.common.SampleRun;

/**
 * generate at tiny sizes: it streams the prompt and the requested characters, writes them all, a CSV with one
 * checkpoint per 1,000 tokens and the plot; top-k sampling never leaves the k most likely tokens.
 */
class GenerateCommandTest {

    @Test
    void tinyRunStreamsTextAndMeasures(@TempDir Path dir) throws IOException {
        String out = SampleRun.run("generate", "--steps", "2", "--embedding", "16", "--context", "16", "--tokens",
                "2000", "--print", "50", "--prompt", "KING", "--out", dir.toString());
        assertTrue(out.contains("KING"), out);
        String text = Files.readString(dir.resolve("generated.txt"), StandardCharsets.UTF_8);
        assertEquals(4 + 2000, text.length());
        assertTrue(out.contains(text.substring(0, 4 + 50)), "the first characters are printed as generated");
        List<String[]> rows = SampleRun.csv(dir.resolve("generate.csv"), "tokens,heap_mb,offheap_mb,ms_per_token");
        assertEquals(2, rows.size());
        assertEquals("1000", rows.get(0)[0]);
        assertEquals("2000", rows.get(1)[0]);
        for (String[] r : rows) {
            for (int c = 1; c < 4; c++) {
                assertTrue(Double.parseDouble(r[c]) > 0, String.join(",", r));
            }
        }
        SampleRun.assertPng(dir.resolve("generate.png"), 500);
    }

    /** The streaming path the generation uses gives the logits the whole-sequence forward pass gives. */
    @Test
    void characterByCharacterStepsMatchTheSequenceForward() {
        CharacterVocabulary text = CharacterVocabulary.of("To be, or not to be: that is the question.");
        MultiLayerNetwork net = GenerateCommand.languageModel(text.size(), 16, 16, 5);
        net.fit(text.batch(new Random(2), 4, 16));
        INDArray ids = text.ids("or not to be");
        INDArray whole = net.output(ids, false);
        net.rnnClearPreviousState();
        for (int t = 0; t < ids.size(2); t++) {
            INDArray step = net.rnnTimeStep(ids.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1)));
            INDArray expected = whole.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1));
            assertArrayEquals(expected.dup().data().asDouble(), step.dup().data().asDouble(), 1e-4, "step " + t);
        }
    }

    @Test
    void topKSamplesOnlyTheKMostLikely() {
        double[] logits = {0.1, 3.0, -1.0, 2.5, 0.0};
        Random random = new Random(1);
        int[] counts = new int[5];
        for (int i = 0; i < 4000; i++) {
            counts[Sampling.topK(logits, 1.0, 2, random)]++;
        }
        assertEquals(0, counts[0] + counts[2] + counts[4], "only tokens 1 and 3 are in the top 2");
        // softmax over {3.0, 2.5}: p(1) = 1 / (1 + e^-0.5) = 0.6225
        assertEquals(0.6225, counts[1] / 4000.0, 0.03);
    }
}
