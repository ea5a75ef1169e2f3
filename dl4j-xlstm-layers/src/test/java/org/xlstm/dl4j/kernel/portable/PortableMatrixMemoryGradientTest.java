package org.xlstm.dl4j.kernel.portable;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryState;

/**
 * Backward against central finite differences of sum(h * dh) in DOUBLE. The backward holds the
 * stabilizer constant, which is exact where the floor exp(-m) is inactive except for the eps added to
 * the normalizer (a relative eps/|den|, ~1e-7 here); the inputs keep |den| well above the floor
 * (positive q, k and n0, moderate input gates), which the test checks.
 */
class PortableMatrixMemoryGradientTest {
    private static final PortableMatrixMemoryKernel KERNEL = PortableMatrixMemoryKernel.INSTANCE;
    private static final int B = 2;
    private static final int NH = 2;
    private static final int T = 7;
    private static final int DH = 3;
    private static final int CHUNK = 3;
    private static final double STEP = 1e-5;
    private static final double MAX_RELATIVE_ERROR = 1e-6;

    @Test
    void backwardMatchesFiniteDifferencesWithInitialState() {
        Nd4j.getRandom().setSeed(21);
        MlstmInputs in = wellConditionedInputs();
        MatrixMemoryState initial = new MatrixMemoryState(
                Nd4j.randn(DataType.DOUBLE, B, NH, DH, DH),
                Nd4j.rand(DataType.DOUBLE, B, NH, DH).addi(0.5),
                Nd4j.randn(DataType.DOUBLE, B, NH).muli(0.3));
        INDArray dh = Nd4j.randn(DataType.DOUBLE, B, NH, T, DH);

        MatrixMemoryForward out = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, null, initial, CHUNK);
        assertFloorInactive(out);
        MatrixMemoryGradients g = KERNEL.backward(out, dh);

        check("q", in.q, g.dq, x -> loss(new MlstmInputs(x, in.k, in.v, in.igate, in.fgate), initial, dh));
        check("k", in.k, g.dk, x -> loss(new MlstmInputs(in.q, x, in.v, in.igate, in.fgate), initial, dh));
        check("v", in.v, g.dv, x -> loss(new MlstmInputs(in.q, in.k, x, in.igate, in.fgate), initial, dh));
        check("igate", in.igate, g.dIgate, x -> loss(new MlstmInputs(in.q, in.k, in.v, x, in.fgate), initial, dh));
        check("fgate", in.fgate, g.dFgate, x -> loss(new MlstmInputs(in.q, in.k, in.v, in.igate, x), initial, dh));
        check("initial C", initial.c, g.dInitial.c,
                x -> loss(in, new MatrixMemoryState(x, initial.n, initial.m), dh));
        check("initial n", initial.n, g.dInitial.n,
                x -> loss(in, new MatrixMemoryState(initial.c, x, initial.m), dh));
        check("initial m", initial.m, g.dInitial.m,
                x -> loss(in, new MatrixMemoryState(initial.c, initial.n, x), dh));
    }

    @Test
    void backwardMatchesFiniteDifferencesFromZeroState() {
        Nd4j.getRandom().setSeed(22);
        MlstmInputs in = wellConditionedInputs();
        INDArray dh = Nd4j.randn(DataType.DOUBLE, B, NH, T, DH);
        MatrixMemoryForward out = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, null, null, CHUNK);
        assertFloorInactive(out);
        MatrixMemoryGradients g = KERNEL.backward(out, dh);
        assertNull(g.dInitial);
        check("q", in.q, g.dq, x -> loss(new MlstmInputs(x, in.k, in.v, in.igate, in.fgate), null, dh));
        check("k", in.k, g.dk, x -> loss(new MlstmInputs(in.q, x, in.v, in.igate, in.fgate), null, dh));
        check("igate", in.igate, g.dIgate, x -> loss(new MlstmInputs(in.q, in.k, in.v, x, in.fgate), null, dh));
        check("fgate", in.fgate, g.dFgate, x -> loss(new MlstmInputs(in.q, in.k, in.v, in.igate, x), null, dh));
    }

    /** The chunk size changes only rounding, in the gradients too. */
    @Test
    void gradientsDoNotDependOnChunkSize() {
        MlstmInputs in = MlstmInputs.random(23, 2, 3, 11, 4);
        INDArray dh = Nd4j.randn(DataType.DOUBLE, 2, 3, 11, 4);
        MatrixMemoryState initial = new MatrixMemoryState(Nd4j.randn(DataType.DOUBLE, 2, 3, 4, 4),
                Nd4j.randn(DataType.DOUBLE, 2, 3, 4), Nd4j.randn(DataType.DOUBLE, 2, 3));
        MatrixMemoryGradients reference = KERNEL.backward(
                KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, null, initial, 11), dh);
        for (int chunk : new int[] {1, 2, 4, 5, 16}) {
            MatrixMemoryGradients g = KERNEL.backward(
                    KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, null, initial, chunk), dh);
            String at = " (chunk " + chunk + ")";
            PortableMatrixMemoryFormsTest.assertClose("dq" + at, reference.dq, g.dq, 1e-9);
            PortableMatrixMemoryFormsTest.assertClose("dk" + at, reference.dk, g.dk, 1e-9);
            PortableMatrixMemoryFormsTest.assertClose("dv" + at, reference.dv, g.dv, 1e-9);
            PortableMatrixMemoryFormsTest.assertClose("dIgate" + at, reference.dIgate, g.dIgate, 1e-9);
            PortableMatrixMemoryFormsTest.assertClose("dFgate" + at, reference.dFgate, g.dFgate, 1e-9);
            PortableMatrixMemoryFormsTest.assertStateClose("dInitial" + at, reference.dInitial, g.dInitial, 1e-9);
        }
    }

    /** Positive q and k keep every normalizer well away from 0; input gates in [-1, 1]. */
    private static MlstmInputs wellConditionedInputs() {
        return new MlstmInputs(
                Nd4j.rand(DataType.DOUBLE, B, NH, T, DH).muli(2).addi(1),
                Nd4j.rand(DataType.DOUBLE, B, NH, T, DH).muli(2).addi(1),
                Nd4j.randn(DataType.DOUBLE, B, NH, T, DH),
                Nd4j.rand(DataType.DOUBLE, B, NH, T).muli(2).subi(1),
                Nd4j.randn(DataType.DOUBLE, B, NH, T).muli(1.5).addi(1));
    }

    private static void assertFloorInactive(MatrixMemoryForward out) {
        ChunkwiseResiduals r = (ChunkwiseResiduals) out.residuals;
        // Cut to the real steps: padding to whole chunks has den = 0.
        INDArray margin = r.sequence.gateFromChunks(
                Transforms.abs(r.denominator, true).sub(Transforms.exp(r.stabilizer.neg(), true)));
        assertTrue(margin.minNumber().doubleValue() > 0.1, "the floor is active somewhere: " + margin);
    }

    private static double loss(MlstmInputs in, MatrixMemoryState initial, INDArray dh) {
        INDArray h = KERNEL.forward(in.q, in.k, in.v, in.igate, in.fgate, null, initial, CHUNK).h;
        return h.mul(dh).sumNumber().doubleValue();
    }

    private static void check(String name, INDArray x, INDArray analytic, Function<INDArray, Double> loss) {
        INDArray numeric = Nd4j.zeros(DataType.DOUBLE, x.shape());
        INDArray probe = x.dup();
        for (long i = 0; i < x.length(); i++) {
            double original = probe.getDouble(i);
            probe.putScalar(i, original + STEP);
            double up = loss.apply(probe);
            probe.putScalar(i, original - STEP);
            double down = loss.apply(probe);
            probe.putScalar(i, original);
            numeric.putScalar(i, (up - down) / (2 * STEP));
        }
        double error = MlstmInputs.maxAbsDiff(analytic, numeric) / MlstmInputs.maxAbs(numeric);
        assertTrue(error <= MAX_RELATIVE_ERROR, "d" + name + ": relative error " + error
                + "\nanalytic " + analytic + "\nnumeric " + numeric);
    }
}
