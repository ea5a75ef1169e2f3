package org.xlstm.dl4j.kernel.portable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.ScalarMemoryForward;
import org.xlstm.dl4j.kernel.ScalarMemoryState;

/** The portable kernel against the official equations written as independent Java loops. */
class PortableScalarMemoryReferenceTest {
    private final PortableScalarMemoryKernel kernel = PortableScalarMemoryKernel.INSTANCE;

    @Test
    void doubleMatchesReferenceFromZeroState() {
        ScalarMemoryTestData data = new ScalarMemoryTestData(1, 3, 9, 2, 5);
        ScalarMemoryReference ref = new ScalarMemoryReference(data.preact, data.recurrent, null);
        ScalarMemoryForward out = kernel.forward(data.preact(DataType.DOUBLE), data.recurrent(DataType.DOUBLE), null, null);
        assertClose(ref, out, 1e-12);
    }

    @Test
    void doubleMatchesReferenceFromGivenState() {
        ScalarMemoryTestData data = new ScalarMemoryTestData(2, 2, 7, 3, 4);
        ScalarMemoryReference ref = new ScalarMemoryReference(data.preact, data.recurrent, data.initial);
        ScalarMemoryForward out = kernel.forward(data.preact(DataType.DOUBLE), data.recurrent(DataType.DOUBLE), null,
                data.initial(DataType.DOUBLE));
        assertClose(ref, out, 1e-12);
    }

    @Test
    void floatMatchesReferenceRelatively() {
        ScalarMemoryTestData data = new ScalarMemoryTestData(3, 4, 12, 2, 8);
        ScalarMemoryReference ref = new ScalarMemoryReference(data.preact, data.recurrent, data.initial);
        ScalarMemoryForward out = kernel.forward(data.preact(DataType.FLOAT), data.recurrent(DataType.FLOAT), null,
                data.initial(DataType.FLOAT));
        assertEquals(DataType.FLOAT, out.h.dataType());
        assertEquals(DataType.FLOAT, out.finalState.c.dataType());
        double scale = Math.max(1, Nd4j.createFromArray(ref.h).amaxNumber().doubleValue());
        assertTrue(ScalarMemoryTestData.maxAbsDiff(Nd4j.createFromArray(ref.h), out.h) <= 1e-5 * scale);
        double cScale = Math.max(1, Nd4j.createFromArray(ref.finalC).amaxNumber().doubleValue());
        assertTrue(ScalarMemoryTestData.maxAbsDiff(Nd4j.createFromArray(ref.finalC), out.finalState.c) <= 1e-5 * cScale);
    }

    @Test
    void halfPrecisionIsComputedInFloatAndCastBack() {
        ScalarMemoryTestData data = new ScalarMemoryTestData(4, 2, 5, 2, 4);
        ScalarMemoryReference ref = new ScalarMemoryReference(data.preact, data.recurrent, null);
        for (DataType type : new DataType[] {DataType.HALF, DataType.BFLOAT16}) {
            ScalarMemoryForward out = kernel.forward(data.preact(type), data.recurrent(type), null, null);
            assertEquals(type, out.h.dataType());
            assertEquals(type, out.finalState.m.dataType());
            INDArray dPreact = kernel.backward(out, Nd4j.ones(type, 2, 5, 8)).dPreact;
            assertEquals(type, dPreact.dataType());
            // inputs rounded to 8-11 bits: agreement at that level shows the math is the float path
            assertTrue(ScalarMemoryTestData.maxAbsDiff(Nd4j.createFromArray(ref.h), out.h) < 0.1, type.toString());
        }
    }

    @Test
    void shapeErrorsNameTheArgument() {
        INDArray preact = Nd4j.zeros(DataType.DOUBLE, 2, 3, 2, 4, 5);
        INDArray r = Nd4j.zeros(DataType.DOUBLE, 2, 5, 4, 5);
        assertMessage("recurrent", () -> kernel.forward(preact, Nd4j.zeros(DataType.DOUBLE, 2, 5, 20), null, null));
        assertMessage("preact", () -> kernel.forward(Nd4j.zeros(DataType.DOUBLE, 2, 3, 2, 3, 5), r, null, null));
        assertMessage("mask", () -> kernel.forward(preact, r, Nd4j.ones(DataType.DOUBLE, 2, 4), null));
        assertMessage("initial.n", () -> kernel.forward(preact, r, null, new ScalarMemoryState(
                Nd4j.zeros(DataType.DOUBLE, 2, 10), Nd4j.zeros(DataType.DOUBLE, 2, 10),
                Nd4j.zeros(DataType.DOUBLE, 2, 9), Nd4j.zeros(DataType.DOUBLE, 2, 10))));
        ScalarMemoryForward out = kernel.forward(preact, r, null, null);
        assertMessage("dh", () -> kernel.backward(out, Nd4j.zeros(DataType.DOUBLE, 2, 3, 9)));
        assertMessage("mask", () -> kernel.step(preact.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.point(0)), r, Nd4j.ones(DataType.DOUBLE, 3), null));
    }

    private static void assertMessage(String argument, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(argument + ":"), e.getMessage());
    }

    private static void assertClose(ScalarMemoryReference ref, ScalarMemoryForward out, double tol) {
        assertTrue(ScalarMemoryTestData.maxAbsDiff(Nd4j.createFromArray(ref.h), out.h) <= tol, "h");
        assertTrue(ScalarMemoryTestData.maxAbsDiff(Nd4j.createFromArray(ref.finalH), out.finalState.h) <= tol, "final h");
        assertTrue(ScalarMemoryTestData.maxAbsDiff(Nd4j.createFromArray(ref.finalC), out.finalState.c) <= tol, "final c");
        assertTrue(ScalarMemoryTestData.maxAbsDiff(Nd4j.createFromArray(ref.finalN), out.finalState.n) <= tol, "final n");
        assertTrue(ScalarMemoryTestData.maxAbsDiff(Nd4j.createFromArray(ref.finalM), out.finalState.m) <= tol, "final m");
    }
}
