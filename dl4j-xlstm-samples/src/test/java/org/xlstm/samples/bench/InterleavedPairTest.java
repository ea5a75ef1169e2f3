package org.xlstm.samples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The paired rounds: alternating order, warm-up rounds left out of the result, medians. */
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

        InterleavedPair.Result r = new InterleavedPair(1, 3).measure("a", a, "b", b);

        assertEquals(List.of("A", "B", "B", "A", "A", "B", "B", "A"), calls);
        assertEquals(3, r.a.length);
        assertEquals(3, r.b.length);
        for (double seconds : r.a) {
            assertTrue(seconds >= 0.02 && seconds < 1.0, "timed A round took " + seconds + " s: 20 ms expected, the"
                    + " 1 s warm-up must not be among them");
        }
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
