package org.xlstm.dl4j.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.MatrixMemoryStep;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.xlstm.dl4j.cuda.Harness.assertClose;

/**
 * CudaMatrixMemoryKernel on ND4J-CUDA arrays against the float64 reference (run with -Pcuda on a machine
 * with a GPU; skipped elsewhere).
 */
class GpuKernelTest {
    private static final double TOL = 1e-4;

    @BeforeEach
    void requireCuda() {
        String reason = new CudaMatrixMemoryKernelProvider().unavailableReason();
        assumeTrue(reason == null, "GPU test skipped: " + reason);
    }

    @ParameterizedTest(name = "B={0} NH={1} T={2} DH={3} L={4} mask={5} init={6}")
    @CsvSource({
        "2, 4, 200,  64, 64, true,  true",
        "1, 2,  77, 160, 32, false, true",
        "2, 1,   1, 256, 64, false, false",
        "1, 3, 130, 256, 64, true,  false",
    })
    void forwardBackwardAndStepMatchReference(int b, int nh, int t, int dh, int chunk, boolean mask, boolean init) {
        MlstmCase c = MlstmCase.random(31L * t + dh, b, nh, t, dh, mask, init);
        CudaMatrixMemoryKernel kernel = new CudaMatrixMemoryKernel();
        MatrixMemoryState initial = init
                ? new MatrixMemoryState(arr(c.c0, b, nh, dh, dh), arr(c.n0, b, nh, dh), arr(c.m0, b, nh)) : null;
        MatrixMemoryForward f = kernel.forward(arr(c.q, b, nh, t, dh), arr(c.k, b, nh, t, dh), arr(c.v, b, nh, t, dh),
                arr(c.ig, b, nh, t), arr(c.fg, b, nh, t), mask ? arr(c.mask, b, t) : null, initial, chunk);
        MatrixMemoryGradients g = kernel.backward(f, arr(c.dhUp, b, nh, t, dh));
        ReferenceMlstm.Result ref = ReferenceMlstm.run(c, true);
        assertClose("h", ref.h, host(f.h), TOL);
        assertClose("final C", ref.c, host(f.finalState.c), TOL);
        assertClose("final n", ref.n, host(f.finalState.n), TOL);
        assertClose("final m", ref.m, host(f.finalState.m), TOL);
        assertClose("dq", ref.dq, host(g.dq), TOL);
        assertClose("dk", ref.dk, host(g.dk), TOL);
        assertClose("dv", ref.dv, host(g.dv), TOL);
        assertClose("d igate", ref.dig, host(g.dIgate), TOL);
        assertClose("d fgate", ref.dfg, host(g.dFgate), TOL);
        if (init) {
            assertNotNull(g.dInitial);
            assertClose("d C0", ref.dc0, host(g.dInitial.c), TOL);
            assertClose("d n0", ref.dn0, host(g.dInitial.n), TOL);
            assertClose("d m0", ref.dm0, host(g.dInitial.m), TOL);
        }

        // The step kernel continues from the final state with the sequence's first step as input.
        MlstmCase s = MlstmCase.random(7, b, nh, 1, dh, false, false);
        s.c0 = host(f.finalState.c);
        s.n0 = host(f.finalState.n);
        s.m0 = host(f.finalState.m);
        MatrixMemoryStep st = kernel.step(arr(s.q, b, nh, dh), arr(s.k, b, nh, dh), arr(s.v, b, nh, dh),
                arr(s.ig, b, nh), arr(s.fg, b, nh), null, f.finalState);
        ReferenceMlstm.Result sref = ReferenceMlstm.run(s, false);
        assertClose("step h", sref.h, host(st.h), TOL);
        assertClose("step C", sref.c, host(st.state.c), TOL);
    }

    private static INDArray arr(double[] data, long... shape) {
        return Nd4j.create(data, shape, DataType.DOUBLE).castTo(DataType.FLOAT);
    }

    private static double[] host(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }
}
