package org.xlstm.dl4j.cuda;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xlstm.dl4j.kernel.MatrixMemoryForward;
import org.xlstm.dl4j.kernel.MatrixMemoryGradients;
import org.xlstm.dl4j.kernel.portable.PortableMatrixMemoryKernel;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.xlstm.dl4j.cuda.Harness.assertClose;
import static org.xlstm.dl4j.cuda.Harness.read;

/** The CPU-executed CUDA kernels against the layers module's portable kernel (float64, ND4J CPU backend). */
class PortableComparisonTest {
    private static final double TOL = 1e-4;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "B={0} NH={1} T={2} DH={3} L={4} mask={5} init={6}")
    @CsvSource({
        "2, 2, 29, 24,  8, true,  true",
        "1, 2, 16, 40, 16, false, false",
    })
    void matchesPortableKernel(int b, int nh, int t, int dh, int chunk, boolean mask, boolean init) throws Exception {
        MlstmCase c = MlstmCase.random(4242L + t, b, nh, t, dh, mask, init);
        c.writeSequence(tmp);
        Harness.runOk(Harness.SMALL, "backward", tmp, chunk);

        MatrixMemoryForward f = PortableMatrixMemoryKernel.INSTANCE.forward(c.ndQ(), c.ndK(), c.ndV(), c.ndIgate(),
                c.ndFgate(), c.ndMask(), c.ndInitial(), chunk);
        MatrixMemoryGradients g = PortableMatrixMemoryKernel.INSTANCE.backward(f, c.ndDh());
        assertClose("h", MlstmCase.host(f.h), read(tmp, "out_h"), TOL);
        assertClose("final C", MlstmCase.host(f.finalState.c), read(tmp, "out_c"), TOL);
        assertClose("final n", MlstmCase.host(f.finalState.n), read(tmp, "out_n"), TOL);
        assertClose("final m", MlstmCase.host(f.finalState.m), read(tmp, "out_m"), TOL);
        assertClose("dq", MlstmCase.host(g.dq), read(tmp, "out_dq"), TOL);
        assertClose("dk", MlstmCase.host(g.dk), read(tmp, "out_dk"), TOL);
        assertClose("dv", MlstmCase.host(g.dv), read(tmp, "out_dv"), TOL);
        assertClose("d igate", MlstmCase.host(g.dIgate), read(tmp, "out_dig"), TOL);
        assertClose("d fgate", MlstmCase.host(g.dFgate), read(tmp, "out_dfg"), TOL);
        if (init) {
            assertNotNull(g.dInitial);
            assertClose("d C0", MlstmCase.host(g.dInitial.c), read(tmp, "out_dc0"), TOL);
            assertClose("d n0", MlstmCase.host(g.dInitial.n), read(tmp, "out_dn0"), TOL);
            assertClose("d m0", MlstmCase.host(g.dInitial.m), read(tmp, "out_dm0"), TOL);
        }
    }
}
