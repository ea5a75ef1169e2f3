package org.xlstm.samples;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Reading HotSpot's compile queue: reports as {@code jcmd <pid> Compiler.queue} prints them (JDK 17). */
class JitCompilerTest {

    @Test
    void aReportWithNoTaskIsIdle() {
        assertTrue(JitCompiler.isIdle("Current compiles: \n\nC1 compile queue:\nEmpty\n\nC2 compile queue:\nEmpty\n"));
    }

    @Test
    void aCompilationInFlightIsNotIdle() {
        assertFalse(JitCompiler.isIdle("Current compiles: \nC2 CompilerThread0  1760       4       "
                + "org.xlstm.dl4j.backend.cpu.HostGroupNorm::normalize (76 bytes)\n\nC1 compile queue:\nEmpty\n\n"
                + "C2 compile queue:\nEmpty\n"));
    }

    @Test
    void aQueuedTaskIsNotIdle() {
        assertFalse(JitCompiler.isIdle("Current compiles: \n\nC1 compile queue:\nEmpty\n\nC2 compile queue:\n"
                + "1757       4       org.xlstm.dl4j.backend.cpu.step.StepMath::gelu (19 bytes)\n"));
    }

    @Test
    void thisJvmsCompilersBecomeIdle() {
        assertTrue(JitCompiler.awaitIdle(120_000), "HotSpot's Compiler.queue diagnostic command did not report idle");
    }
}
