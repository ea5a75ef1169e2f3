package org.xlstm.dl4j.cuda;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.xlstm.dl4j.cuda.Harness.assertClose;
import static org.xlstm.dl4j.cuda.Harness.read;

/**
 * The CUDA kernel sources, executed on the CPU through the SIMT shim, against the float64 recurrent
 * reference: forward outputs and final state, all gradients, and the single step. FP32 tolerance 1e-4
 * relative to the largest reference magnitude.
 */
class CpuKernelTest {
    private static final double TOL = 1e-4;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}: B={1} NH={2} T={3} DH={4} L={5} mask={6} init={7}")
    @CsvSource({
        // small blocks: 32 threads, 16-wide tiles, chunks up to 16
        "mlstm_harness_small,   2, 2, 37,   8,  8, true,  false",
        "mlstm_harness_small,   1, 3, 20,  64, 16, false, true",
        "mlstm_harness_small,   1, 1, 19, 160,  7, true,  true",
        "mlstm_harness_small,   2, 1,  1,  24, 16, false, true",
        "mlstm_harness_small,   1, 2,  9,  16,  1, true,  false",
        "mlstm_harness_small,   1, 1, 12,  20, 64, false, false",
        // production sizes: 256 threads, 64-wide tiles, chunks up to 64
        "mlstm_harness_default, 1, 1, 70, 160, 64, true,  true",
        "mlstm_harness_default, 1, 1,  5, 256, 64, false, true",
    })
    void forwardAndBackwardMatchReference(String harness, int b, int nh, int t, int dh, int chunk, boolean mask,
                                          boolean init) throws Exception {
        MlstmCase c = MlstmCase.random(1000L * t + dh + chunk, b, nh, t, dh, mask, init);
        c.writeSequence(tmp);
        Harness.runOk(harness, "backward", tmp, chunk);
        ReferenceMlstm.Result ref = ReferenceMlstm.run(c, true);
        assertClose("h", ref.h, read(tmp, "out_h"), TOL);
        assertClose("final C", ref.c, read(tmp, "out_c"), TOL);
        assertClose("final n", ref.n, read(tmp, "out_n"), TOL);
        assertClose("final m", ref.m, read(tmp, "out_m"), TOL);
        assertClose("dq", ref.dq, read(tmp, "out_dq"), TOL);
        assertClose("dk", ref.dk, read(tmp, "out_dk"), TOL);
        assertClose("dv", ref.dv, read(tmp, "out_dv"), TOL);
        assertClose("d igate", ref.dig, read(tmp, "out_dig"), TOL);
        assertClose("d fgate", ref.dfg, read(tmp, "out_dfg"), TOL);
        if (init) {
            assertClose("d C0", ref.dc0, read(tmp, "out_dc0"), TOL);
            assertClose("d n0", ref.dn0, read(tmp, "out_dn0"), TOL);
            assertClose("d m0", ref.dm0, read(tmp, "out_dm0"), TOL);
        } else {
            org.junit.jupiter.api.Assertions.assertFalse(Files.exists(tmp.resolve("out_dc0.npy")),
                    "no initial-state gradient without an initial state");
        }
    }

    @ParameterizedTest(name = "{0}: B={1} NH={2} DH={3} mask={4} init={5}")
    @CsvSource({
        "mlstm_harness_small,   2, 2,   8, true,  true",
        "mlstm_harness_small,   1, 2, 160, false, true",
        "mlstm_harness_small,   2, 1,  16, false, false",
        "mlstm_harness_default, 1, 2, 256, true,  true",
    })
    void stepMatchesReference(String harness, int b, int nh, int dh, boolean mask, boolean init) throws Exception {
        MlstmCase c = MlstmCase.random(77L + dh, b, nh, 1, dh, false, init);
        if (mask) {
            c.mask = new double[b];
            java.util.Arrays.fill(c.mask, 1);
            c.mask[0] = 0;
        }
        c.writeStep(tmp);
        Harness.runOk(harness, "step", tmp, 1);
        // One step is the recurrence over a sequence of length 1 (mask [B] = mask [B, 1]).
        ReferenceMlstm.Result ref = ReferenceMlstm.run(c, false);
        assertClose("h", ref.h, read(tmp, "out_h"), TOL);
        assertClose("C", ref.c, read(tmp, "out_c"), TOL);
        assertClose("n", ref.n, read(tmp, "out_n"), TOL);
        assertClose("m", ref.m, read(tmp, "out_m"), TOL);
    }
}
