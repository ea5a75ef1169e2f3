package org.xlstm.samples.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.BooleanSupplier;

import org.xlstm.samples.JitCompiler;

/**
 * Times the two halves of a ratio alternately in one process, A B B A A B ..., so that whatever changes while they
 * run (other load on a shared machine, clock frequency, the collector's state) falls on both alike and in both
 * orders; the warm-up rounds alternate too, and are printed with the timed ones, so that one can see the first
 * timed round is no slower than the last (workspaces sized, JIT compilation done). After the set warm-up rounds,
 * further untimed rounds run while the JIT compilers still have work after a round (at most
 * {@link #MAX_EXTRA_WARMUP_ROUNDS}): on the idle 2-core machine the E 512 block forward still got faster in the
 * 4th to 13th round with 3 warm-up rounds, so the timed rounds measured compilation.
 */
final class InterleavedPair {

    /** The most untimed rounds added while the JIT compilers are busy. */
    static final int MAX_EXTRA_WARMUP_ROUNDS = 8;

    final int warmupRounds;
    final int rounds;
    private final BooleanSupplier compiling;

    InterleavedPair(int warmupRounds, int rounds) {
        this(warmupRounds, rounds, JitCompiler::busy);
    }

    /** {@code compiling}: whether code is still being compiled after a round, which makes it a further warm-up. */
    InterleavedPair(int warmupRounds, int rounds, BooleanSupplier compiling) {
        if (rounds < 1 || warmupRounds < 0) {
            throw new IllegalArgumentException("InterleavedPair: rounds must be >= 1 and warm-up rounds >= 0, got "
                    + rounds + " and " + warmupRounds);
        }
        this.warmupRounds = warmupRounds;
        this.rounds = rounds;
        this.compiling = compiling;
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
        int warmups = 0;
        int timed = 0;
        for (int round = 0; timed < rounds; round++) {
            boolean aFirst = round % 2 == 0;
            double first = seconds(aFirst ? a : b);
            double second = seconds(aFirst ? b : a);
            double sa = aFirst ? first : second;
            double sb = aFirst ? second : first;
            boolean warmup = timed == 0 && (warmups < warmupRounds
                    || warmups < warmupRounds + MAX_EXTRA_WARMUP_ROUNDS && compiling.getAsBoolean());
            ForkedJvm.log(String.format(Locale.ROOT, "round %d%s: %s %.4f s, %s %.4f s", round + 1,
                    warmup ? (warmups < warmupRounds ? " (warm-up)" : " (warm-up: JIT compiling)") : "", nameA, sa,
                    nameB, sb));
            if (warmup) {
                warmups++;
            } else {
                timesA[timed] = sa;
                timesB[timed] = sb;
                timed++;
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
