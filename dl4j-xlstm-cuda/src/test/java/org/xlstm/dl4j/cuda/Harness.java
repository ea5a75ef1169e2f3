package org.xlstm.dl4j.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The g++ builds of the CUDA kernels (src/test/cpp/build-harness.sh, run by Maven before the tests). */
final class Harness {
    static final String SMALL = "mlstm_harness_small";
    static final String DEFAULT = "mlstm_harness_default";
    static final String TSAN = "mlstm_harness_tsan";
    static final String TSAN_DROP = "mlstm_harness_tsan_drop";

    /** Exit status and combined output of one run. */
    static final class Run {
        final int exitCode;
        final String output;

        Run(int exitCode, String output) {
            this.exitCode = exitCode;
            this.output = output;
        }
    }

    private Harness() {
    }

    static Path binary(String name) {
        String dir = System.getProperty("xlstm.cuda.harness");
        assumeTrue(dir != null, "xlstm.cuda.harness not set: run the tests through Maven");
        Path bin = Paths.get(dir, name);
        // A failure, not a skip: a suite without the kernel tests must not pass as green (.ci/run installs g++).
        assertTrue(Files.isExecutable(bin), "CPU kernel harness " + bin + " was not built: g++ is missing"
                + " (install it, e.g. apt-get install -y g++) or its build failed (see the build log)");
        return bin;
    }

    static Run run(String name, String mode, Path dir, int chunk) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(binary(name).toString(), mode, dir.toString(), Integer.toString(chunk));
        pb.redirectErrorStream(true);
        // TSan's reports stay short and the process exits non-zero on the first race.
        pb.environment().put("TSAN_OPTIONS", "halt_on_error=1 report_thread_leaks=0");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(name + " timed out");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    static void runOk(String name, String mode, Path dir, int chunk) throws IOException, InterruptedException {
        Run r = run(name, mode, dir, chunk);
        assertTrue(r.exitCode == 0, name + " " + mode + " failed (" + r.exitCode + "):\n" + r.output);
    }

    /** max |actual - expected| <= tol * max(1, max |expected|). */
    static void assertClose(String what, double[] expected, double[] actual, double tol) {
        if (expected.length != actual.length) fail(what + ": length " + actual.length + " != " + expected.length);
        double maxRef = 0, maxDiff = 0;
        int worst = -1;
        for (int i = 0; i < expected.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
            double d = Math.abs(expected[i] - actual[i]);
            if (!(d <= maxDiff)) {
                maxDiff = d;
                worst = i;
            }
        }
        double bound = tol * Math.max(1, maxRef);
        assertTrue(maxDiff <= bound, String.format("%s: max |diff| %.3g at %d (expected %.6g, got %.6g) > %.3g",
                what, maxDiff, worst, worst < 0 ? 0 : expected[worst], worst < 0 ? 0 : actual[worst], bound));
    }

    static double[] read(Path dir, String name) throws IOException {
        return Npy.read(dir.resolve(name + ".npy")).data;
    }
}
