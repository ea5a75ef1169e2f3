package org.xlstm.dl4j.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xlstm.dl4j.memory.NativeMemory.MB;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.xlstm.dl4j.runtime.WorkspaceBudget;

/**
 * A forward over 200,000 steps (batch 1, the mixed stack of {@link MemoryNetworks}) in a fresh JVM: with the
 * default cap, the memory it took is given back once ordinary passes follow; with a 512 MB cap, the forward
 * itself stays below 512 MB of native memory.
 */
class LongSequenceMemoryTest {
    private static final long RETURN_BOUND = 300 * MB;
    private static final long CAP = 512 * MB;

    @Test
    void memoryOfALongForwardIsGivenBackAfterOrdinaryPasses() throws Exception {
        Map<String, Long> m = ForkedJvm.run(LongSequenceProbe.class, List.of());
        long kept = m.get("end") - m.get("before");
        System.out.printf("long forward then %d short ones: native before %d MB, peak %d MB, after the long one"
                        + " %d MB, at the end %d MB%n", LongSequenceProbe.SHORT_PASSES, m.get("before") / MB,
                m.get("peak") / MB, m.get("after_long") / MB, m.get("end") / MB);
        assertTrue(kept < RETURN_BOUND, "native memory at the end is " + kept / MB
                + " MB above its value before the " + LongSequenceProbe.LONG_T + "-step forward (bound "
                + RETURN_BOUND / MB + " MB)");
    }

    @Test
    void aCappedLongForwardStaysBelowTheCap() throws Exception {
        Map<String, Long> m = ForkedJvm.run(LongSequenceProbe.class,
                List.of("-D" + WorkspaceBudget.PROPERTY + "=512m"));
        long peak = m.get("peak") - m.get("before");
        System.out.printf("capped at 512 MB: the %d-step forward took %d MB of native memory at its peak"
                + " (%d ms)%n", LongSequenceProbe.LONG_T, peak / MB, m.get("long_forward_ms"));
        assertEquals(CAP, m.get("cap"), "the cap the probe ran with");
        assertTrue(peak < CAP, "the " + LongSequenceProbe.LONG_T + "-step forward took " + peak / MB
                + " MB of native memory at its peak, above the " + CAP / MB + " MB cap");
    }
}
