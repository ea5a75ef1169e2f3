package org.xlstm.dl4j.large;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.xlstm.dl4j.imports.XlstmLargeConfig;

/** Greedy generation (chunkwise prefill, then the recurrent step) against full-sequence forwards. */
class GenerationTest {

    @Test
    void greedyStepGenerationEqualsArgmaxOfFullForwards() {
        XlstmLargeConfig config = XlstmLargeConfig.builder(32, 4, 2, 53).chunkSize(16).build();
        XlstmLargeRunner runner = XlstmLargeRunner.create(config, DataType.FLOAT, 7);
        long[] prompt = {3, 14, 15, 9, 26};
        int count = 64;
        long[] generated = new XlstmLargeGenerator(runner).generate(prompt, count, TokenSampler.greedy()).tokens;

        long[] sequence = Arrays.copyOf(prompt, prompt.length + count);
        long[] expected = new long[count];
        for (int i = 0; i < count; i++) {
            INDArray ids = Nd4j.createFromArray(new long[][] {Arrays.copyOf(sequence, prompt.length + i)});
            INDArray logits = runner.logits(ids);
            double[] last = logits.get(NDArrayIndex.point(0),
                    NDArrayIndex.point(prompt.length + i - 1),
                    NDArrayIndex.all()).toDoubleVector();
            expected[i] = TokenSampler.argmax(last);
            // the reference continues from its own choice, so a mismatch shows where the forms part
            sequence[prompt.length + i] = expected[i];
        }
        assertArrayEquals(expected, generated);
        // a model stuck on one token would make the comparison weak
        assertTrue(Arrays.stream(generated).distinct().count() >= 5, Arrays.toString(generated));
    }
}
