package org.xlstm.samples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The paired rounds: alternating order, warm-up rounds (set, and while the JIT compiles) left out, medians. */
class InterleavedPairTest {

    @Test
    void roundsAlternateTheOrderAndLeaveOutTheWarmUp() {
        List<String> calls = new ArrayList<>();
        Runnable a = () -> {
            // The first call (warm-up) is slow, as a model's first call is; the timed ones are not.
            sleep(calls.contains("A") ? 20 : 1000);
            calls.add("A");
        };
        Runnable b = () -> calls.add("B");

        InterleavedPair.Result r = new InterleavedPair(1, 3, () -> false).measure("a", a, "b", b);

        assertEquals(List.of("A", "B", "B", "A", "A", "B", "B", "A"), calls);
        assertEquals(3, r.a.length);
        assertEquals(3, r.b.length);
        for (double seconds : r.a) {
            assertTrue(seconds >= 0.02 && seconds < 1.0, "timed A round took " + seconds + " s: 20 ms expected, the"
                    + " 1 s warm-up must not be among them");
        }
    }

    @Test
    void roundsAfterWhichTheJitStillCompilesAreWarmUps() {
        int[] aCalls = {0};
        Iterator<Boolean> compiling = List.of(true, true, false, true).iterator();
        InterleavedPair.Result r = new InterleavedPair(1, 2, compiling::next)
                .measure("a", () -> aCalls[0]++, "b", () -> { });
        // Round 1 is the set warm-up; after rounds 2 and 3 the JIT was busy, after round 4 idle: 4 and 5 are timed.
        assertEquals(5, aCalls[0]);
        assertEquals(2, r.a.length);
    }

    @Test
    void extraWarmUpRoundsAreCapped() {
        int[] aCalls = {0};
        InterleavedPair.Result r = new InterleavedPair(2, 3, () -> true).measure("a", () -> aCalls[0]++, "b", () -> { });
        assertEquals(2 + InterleavedPair.MAX_EXTRA_WARMUP_ROUNDS + 3, aCalls[0]);
        assertEquals(3, r.a.length);
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, InterleavedPair.median(new double[] {3, 1, 2}));
        assertEquals(2.5, InterleavedPair.median(new double[] {4, 1, 3, 2}));
    }

    @Test
    void rejectsNoTimedRounds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new InterleavedPair(2, 0));
        assertTrue(e.getMessage().contains("rounds must be >= 1"), e.getMessage());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
