package org.xlstm.dl4j.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.MatrixMemoryKernel;
import org.xlstm.dl4j.kernel.MatrixMemoryState;
import org.xlstm.dl4j.kernel.MatrixMemoryStep;
import org.xlstm.dl4j.kernel.portable.PortableMatrixMemoryKernel;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.xlstm.dl4j.cuda.Harness.assertClose;
import static org.xlstm.dl4j.cuda.MlstmCase.host;

/**
 * CudaMatrixMemoryKernel (FP32) on ND4J-CUDA arrays against the portable kernel (float64, same backend):
 * forward, backward, and a step continuing from the final state. Runs with -Pcuda on a machine with a
 * GPU; skipped elsewhere.
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
    void matchesPortableKernel(int b, int nh, int t, int dh, int chunk, boolean mask, boolean init) {
        MlstmCase c = MlstmCase.random(31L * t + dh, b, nh, t, dh, mask, init);
        MatrixMemoryKernel cuda = new CudaMatrixMemoryKernelProvider().create();
        MatrixMemoryKernel portable = PortableMatrixMemoryKernel.INSTANCE;

        MatrixMemoryForward fr = portable.forward(c.ndQ(), c.ndK(), c.ndV(), c.ndIgate(), c.ndFgate(), c.ndMask(),
                c.ndInitial(), chunk);
        MatrixMemoryGradients gr = portable.backward(fr, c.ndDh());
        MatrixMemoryState init32 = c.ndInitial() == null ? null : c.ndInitial().castTo(DataType.FLOAT);
        MatrixMemoryForward f = cuda.forward(f32(c.ndQ()), f32(c.ndK()), f32(c.ndV()), f32(c.ndIgate()),
                f32(c.ndFgate()), mask ? f32(c.ndMask()) : null, init32, chunk);
        MatrixMemoryGradients g = cuda.backward(f, f32(c.ndDh()));

        assertClose("h", host(fr.h), host(f.h), TOL);
        assertClose("final C", host(fr.finalState.c), host(f.finalState.c), TOL);
        assertClose("final n", host(fr.finalState.n), host(f.finalState.n), TOL);
        assertClose("final m", host(fr.finalState.m), host(f.finalState.m), TOL);
        assertClose("dq", host(gr.dq), host(g.dq), TOL);
        assertClose("dk", host(gr.dk), host(g.dk), TOL);
        assertClose("dv", host(gr.dv), host(g.dv), TOL);
        assertClose("d igate", host(gr.dIgate), host(g.dIgate), TOL);
        assertClose("d fgate", host(gr.dFgate), host(g.dFgate), TOL);
        if (init) {
            assertNotNull(g.dInitial);
            assertClose("d C0", host(gr.dInitial.c), host(g.dInitial.c), TOL);
            assertClose("d n0", host(gr.dInitial.n), host(g.dInitial.n), TOL);
            assertClose("d m0", host(gr.dInitial.m), host(g.dInitial.m), TOL);
        }

        MlstmCase s = MlstmCase.random(7, b, nh, 1, dh, mask, false);
        INDArray sq = MlstmCase.nd(s.q, b, nh, dh), sk = MlstmCase.nd(s.k, b, nh, dh), sv = MlstmCase.nd(s.v, b, nh, dh);
        INDArray si = MlstmCase.nd(s.ig, b, nh), sf = MlstmCase.nd(s.fg, b, nh);
        INDArray sm = mask ? MlstmCase.nd(new double[b], b).addi(1).putScalar(0, 0) : null;
        MatrixMemoryStep str = portable.step(sq, sk, sv, si, sf, sm, fr.finalState);
        MatrixMemoryStep st = cuda.step(f32(sq), f32(sk), f32(sv), f32(si), f32(sf), sm == null ? null : f32(sm),
                f.finalState);
        assertClose("step h", host(str.h), host(st.h), TOL);
        assertClose("step C", host(str.state.c), host(st.state.c), TOL);
        assertClose("step n", host(str.state.n), host(st.state.n), TOL);
        assertClose("step m", host(str.state.m), host(st.state.m), TOL);
    }

    private static INDArray f32(INDArray a) {
        return a.castTo(DataType.FLOAT);
    }
}
