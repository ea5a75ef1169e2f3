package org.xlstm.dl4j.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;

import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.xlstm.dl4j.cuda.Harness.assertClose;
import static org.xlstm.dl4j.cuda.Harness.read;

/**
 * The official NX-AI mLSTM cell vectors (layers module, conformance/cells) through the CPU-executed
 * kernels: chunkwise forward with several chunk sizes, and the step kernel fed one step at a time.
 * Tolerance for FP32 from conformance/README.md: 2e-3 * max(1, max |reference|).
 */
class ConformanceCellTest {
    private static final double TOL = 2e-3;

    @TempDir
    Path tmp;

    private Path cells() {
        String dir = System.getProperty("xlstm.conformance.cells");
        assumeTrue(dir != null && Files.isDirectory(Paths.get(dir)), "conformance cells not found: " + dir);
        return Paths.get(dir);
    }

    private void copyInputs(Path cells) throws Exception {
        Files.copy(cells.resolve("mlstm_q.npy"), tmp.resolve("q.npy"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(cells.resolve("mlstm_k.npy"), tmp.resolve("k.npy"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(cells.resolve("mlstm_v.npy"), tmp.resolve("v.npy"), StandardCopyOption.REPLACE_EXISTING);
        // [B, NH, S, 1] holds the same data as the harness's [B, NH, S].
        Files.copy(cells.resolve("mlstm_igate_preact.npy"), tmp.resolve("ig.npy"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(cells.resolve("mlstm_fgate_preact.npy"), tmp.resolve("fg.npy"), StandardCopyOption.REPLACE_EXISTING);
    }

    @ParameterizedTest(name = "{0} chunk {1}")
    @CsvSource({"mlstm_harness_small, 16", "mlstm_harness_small, 7", "mlstm_harness_default, 64"})
    void chunkwiseForwardMatchesOfficialCell(String harness, int chunk) throws Exception {
        Path cells = cells();
        copyInputs(cells);
        Harness.runOk(harness, "forward", tmp, chunk);
        assertClose("h", Npy.read(cells.resolve("mlstm_h.npy")).data, read(tmp, "out_h"), TOL);
        assertClose("final C", Npy.read(cells.resolve("mlstm_final_C.npy")).data, read(tmp, "out_c"), TOL);
        assertClose("final n", Npy.read(cells.resolve("mlstm_final_n.npy")).data, read(tmp, "out_n"), TOL);
        assertClose("final m", Npy.read(cells.resolve("mlstm_final_m.npy")).data, read(tmp, "out_m"), TOL);
    }

    @Test
    void stepKernelReproducesOfficialCell() throws Exception {
        Path cells = cells();
        Npy q = Npy.read(cells.resolve("mlstm_q.npy"));
        Npy k = Npy.read(cells.resolve("mlstm_k.npy"));
        Npy v = Npy.read(cells.resolve("mlstm_v.npy"));
        Npy ig = Npy.read(cells.resolve("mlstm_igate_preact.npy"));
        Npy fg = Npy.read(cells.resolve("mlstm_fgate_preact.npy"));
        double[] hRef = Npy.read(cells.resolve("mlstm_h.npy")).data;
        int b = (int) q.shape[0], nh = (int) q.shape[1], s = (int) q.shape[2], dh = (int) q.shape[3];
        MlstmCase step = new MlstmCase(b, nh, 1, dh);
        step.c0 = new double[b * nh * dh * dh];
        step.n0 = new double[b * nh * dh];
        step.m0 = new double[b * nh];
        double[] hSteps = new double[hRef.length];
        for (int t = 0; t < s; t++) {
            step.q = column(q.data, b * nh, s, dh, t);
            step.k = column(k.data, b * nh, s, dh, t);
            step.v = column(v.data, b * nh, s, dh, t);
            step.ig = column(ig.data, b * nh, s, 1, t);
            step.fg = column(fg.data, b * nh, s, 1, t);
            step.writeStep(tmp);
            Harness.runOk(Harness.SMALL, "step", tmp, 1);
            double[] h = read(tmp, "out_h");
            for (int g = 0; g < b * nh; g++) System.arraycopy(h, g * dh, hSteps, (g * s + t) * dh, dh);
            step.c0 = read(tmp, "out_c");
            step.n0 = read(tmp, "out_n");
            step.m0 = read(tmp, "out_m");
        }
        assertClose("h (steps)", hRef, hSteps, TOL);
        assertClose("final C (steps)", Npy.read(cells.resolve("mlstm_final_C.npy")).data, step.c0, TOL);
        assertClose("final n (steps)", Npy.read(cells.resolve("mlstm_final_n.npy")).data, step.n0, TOL);
        assertClose("final m (steps)", Npy.read(cells.resolve("mlstm_final_m.npy")).data, step.m0, TOL);
    }

    /** Time step t of a [rows, s, width] array, rounded to float32 like every kernel input. */
    private static double[] column(double[] a, int rows, int s, int width, int t) {
        double[] out = new double[rows * width];
        for (int r = 0; r < rows; r++) {
            for (int w = 0; w < width; w++) out[r * width + w] = (float) a[(r * s + t) * width + w];
        }
        return out;
    }
}
