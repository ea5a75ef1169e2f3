package org.xlstm.dl4j.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xlstm.dl4j.cuda.Harness.assertClose;
import static org.xlstm.dl4j.cuda.Harness.read;

/**
 * The kernels under ThreadSanitizer: the real build shows no data race in forward, backward and step, and
 * the build with one __syncthreads() removed (-DXLSTM_TEST_DROP_SYNC=1, the barrier between staging and
 * reading the shared-memory slabs of tile_mma) is reported, proving the check can fail.
 */
class RaceDetectionTest {

    @TempDir
    Path tmp;

    private MlstmCase smallCase() throws Exception {
        // Two head-dim tiles (DH 20 > tile 16) and a partial last chunk, at TSan-friendly size.
        MlstmCase c = MlstmCase.random(5, 1, 1, 10, 20, true, true);
        c.writeSequence(tmp);
        return c;
    }

    @Test
    void kernelsAreRaceFree() throws Exception {
        MlstmCase c = smallCase();
        Harness.Run r = Harness.run(Harness.TSAN, "backward", tmp, 4);
        assertEquals(0, r.exitCode, "ThreadSanitizer build failed:\n" + r.output);
        assertFalse(r.output.contains("ThreadSanitizer"), r.output);
        ReferenceMlstm.Result ref = ReferenceMlstm.run(c, true);
        assertClose("h", ref.h, read(tmp, "out_h"), 1e-4);
        assertClose("dq", ref.dq, read(tmp, "out_dq"), 1e-4);

        MlstmCase s = MlstmCase.random(6, 1, 2, 1, 20, false, true);
        s.writeStep(tmp);
        Harness.Run rs = Harness.run(Harness.TSAN, "step", tmp, 1);
        assertEquals(0, rs.exitCode, "ThreadSanitizer build failed on step:\n" + rs.output);
        assertFalse(rs.output.contains("ThreadSanitizer"), rs.output);
    }

    @Test
    void missingBarrierIsDetected() throws Exception {
        smallCase();
        Harness.Run r = Harness.run(Harness.TSAN_DROP, "forward", tmp, 4);
        assertNotEquals(0, r.exitCode, "removing a __syncthreads() went unnoticed");
        assertTrue(r.output.contains("ThreadSanitizer: data race"), r.output);
        assertTrue(r.output.contains("tile_mma"), "the race should be located in tile_mma:\n" + r.output);
    }
}
