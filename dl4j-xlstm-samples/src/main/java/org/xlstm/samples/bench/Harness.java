package org.xlstm.samples.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.factory.Nd4j;

/** Warm-up, timed repeats with min/median, and off-heap memory sampling on a background thread. */
final class Harness {

    final int warmups;
    final int repeats;
    final double budgetSeconds;

    Harness(int warmups, int repeats, double budgetSeconds) {
        this.warmups = warmups;
        this.repeats = repeats;
        this.budgetSeconds = budgetSeconds;
    }

    /** One timed measurement: seconds per call and the memory peaks seen while it ran. */
    static final class Result {
        final List<Double> seconds = new ArrayList<>();
        long peakOffHeapBytes;
        long peakRssBytes;
        long peakNativeBytes;
        String failure;

        double min() {
            return Collections.min(seconds);
        }

        double median() {
            List<Double> sorted = new ArrayList<>(seconds);
            Collections.sort(sorted);
            int n = sorted.size();
            return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        }

        boolean ok() {
            return failure == null && !seconds.isEmpty();
        }
    }

    /**
     * Runs {@code body} up to {@link #warmups} times untimed (one, if it alone takes longer than
     * {@link #budgetSeconds}), then up to {@link #repeats} times timed, stopping early (after at least one
     * timed call) once the timed calls have used {@link #budgetSeconds}.
     */
    Result measure(Runnable body) {
        Result r = new Result();
        settle();
        try (MemorySampler sampler = new MemorySampler()) {
            try {
                for (int i = 0; i < warmups; i++) {
                    long t0 = System.nanoTime();
                    body.run();
                    if ((System.nanoTime() - t0) / 1e9 > budgetSeconds) {
                        break;
                    }
                }
                double used = 0;
                do {
                    long t0 = System.nanoTime();
                    body.run();
                    double s = (System.nanoTime() - t0) / 1e9;
                    r.seconds.add(s);
                    used += s;
                } while (r.seconds.size() < repeats && used < budgetSeconds);
            } catch (Throwable e) {
                r.failure = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).split("\\R")[0];
            }
            r.peakOffHeapBytes = sampler.peakOffHeap();
            r.peakRssBytes = sampler.peakRss();
            r.peakNativeBytes = sampler.peakNative();
        }
        return r;
    }

    /** Frees what earlier measurements left for the collector, so peaks belong to the current one. */
    static void settle() {
        System.gc();
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Off-heap bytes in use: JavaCPP's {@link Pointer#totalBytes()} plus ND4J's tracked general and workspace
     * allocations, as {@code CpuMemoryManager.allocatedMemory} sums them.
     */
    static long offHeapBytes() {
        return Nd4j.getMemoryManager().allocatedMemory(0);
    }

    /**
     * Samples the off-heap bytes ND4J has allocated ({@link #offHeapBytes()}) and
     * the process resident set ({@link Pointer#physicalBytes()}, heap included) every 2 ms, and their difference
     * to the committed heap.
     */
    static final class MemorySampler implements AutoCloseable {
        private final Thread thread;
        private volatile boolean running = true;
        private volatile long peakOffHeap;
        private volatile long peakRss;
        private volatile long peakNative;

        MemorySampler() {
            sample();
            thread = new Thread(() -> {
                while (running) {
                    sample();
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "benchmark-memory-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void sample() {
            long off = offHeapBytes();
            long rss = Pointer.physicalBytes();
            if (off > peakOffHeap) {
                peakOffHeap = off;
            }
            if (rss > peakRss) {
                peakRss = rss;
            }
            long nativeBytes = rss - Runtime.getRuntime().totalMemory();
            if (nativeBytes > peakNative) {
                peakNative = nativeBytes;
            }
        }

        long peakOffHeap() {
            sample();
            return peakOffHeap;
        }

        long peakRss() {
            sample();
            return peakRss;
        }

        /** Peak of resident set minus the committed Java heap: all native memory, ND4J's untracked buffers too. */
        long peakNative() {
            sample();
            return peakNative;
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
