package org.xlstm.samples.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Times the two halves of a ratio alternately in one process, A B B A A B ..., so that whatever changes while they
 * run (other load on a shared machine, clock frequency, the collector's state) falls on both alike and in both
 * orders; the warm-up rounds alternate too, and are printed with the timed ones, so that one can see the first
 * timed round is no slower than the last (workspaces sized, JIT compilation done).
 */
final class InterleavedPair {

    final int warmupRounds;
    final int rounds;

    InterleavedPair(int warmupRounds, int rounds) {
        if (rounds < 1 || warmupRounds < 0) {
            throw new IllegalArgumentException("InterleavedPair: rounds must be >= 1 and warm-up rounds >= 0, got "
                    + rounds + " and " + warmupRounds);
        }
        this.warmupRounds = warmupRounds;
        this.rounds = rounds;
    }

    /** Seconds of each timed round of A and of B, in round order. */
    static final class Result {
        final double[] a;
        final double[] b;

        Result(double[] a, double[] b) {
            this.a = a;
            this.b = b;
        }
    }

    /** Runs the rounds, logging ({@link ForkedJvm#log}) each one's two times as "round i: nameA s, nameB s". */
    Result measure(String nameA, Runnable a, String nameB, Runnable b) {
        double[] timesA = new double[rounds];
        double[] timesB = new double[rounds];
        for (int round = 0; round < warmupRounds + rounds; round++) {
            boolean aFirst = round % 2 == 0;
            double first = seconds(aFirst ? a : b);
            double second = seconds(aFirst ? b : a);
            double sa = aFirst ? first : second;
            double sb = aFirst ? second : first;
            boolean warmup = round < warmupRounds;
            ForkedJvm.log(String.format(Locale.ROOT, "round %d%s: %s %.4f s, %s %.4f s", round + 1,
                    warmup ? " (warm-up)" : "", nameA, sa, nameB, sb));
            if (!warmup) {
                timesA[round - warmupRounds] = sa;
                timesB[round - warmupRounds] = sb;
            }
        }
        return new Result(timesA, timesB);
    }

    private static double seconds(Runnable body) {
        Harness.settle();
        long t0 = System.nanoTime();
        body.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The median of {@code values}. */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
