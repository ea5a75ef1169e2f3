package org.xlstm.dl4j.kernel.portable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.MatrixMemoryState;

/**
 * The portable kernel's backward with a final-state gradient, in float64: a sequence cut in two pieces and
 * chained through the state gradients has the whole sequence's gradients, cut at a chunk boundary or inside a
 * chunk, with padding or without; without the final-state gradient (truncated backprop) it does not.
 */
class PortableMatrixMemoryFinalStateTest {
    private static final MatrixMemoryKernel KERNEL = PortableMatrixMemoryKernel.INSTANCE;

    @ParameterizedTest(name = "split {0}, masked {1}")
    @CsvSource({"12, false", "12, true", "10, false", "10, true", "3, false"})
    void chainedPiecesHaveTheWholeSequenceGradients(int split, boolean masked) {
        assertTrue(KERNEL.acceptsFinalStateGradient());
        double error = PiecewiseBackward.error(KERNEL, DataType.DOUBLE, split, true, masked);
        assertTrue(error < 1e-10, "relative error " + error);
    }

    @ParameterizedTest(name = "split {0}")
    @CsvSource({"12", "10"})
    void withoutTheFinalStateGradientTheyDiffer(int split) {
        double error = PiecewiseBackward.error(KERNEL, DataType.DOUBLE, split, false, false);
        assertTrue(error > 1e-3, "relative error " + error);
    }

    @Test
    void finalStateGradientOfTheWrongShapeIsRejected() {
        MlstmInputs in = MlstmInputs.random(1, 1, 2, 8, 4);
        MatrixMemoryForward f = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, null, null, 4);
        MatrixMemoryState wrong = new MatrixMemoryState(Nd4j.zeros(DataType.DOUBLE, 1, 2, 4, 3),
                Nd4j.zeros(DataType.DOUBLE, 1, 2, 4), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KERNEL.backward(f, Nd4j.zeros(DataType.DOUBLE, in.q.shape()), wrong));
        assertEquals("dFinal.c: expected shape [1, 2, 4, 4], got [1, 2, 4, 3]", e.getMessage());
    }
}
