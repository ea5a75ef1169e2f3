package org.xlstm.dl4j.memory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * Native memory of this process: the resident set (from {@code /proc/self/status}) minus the committed Java
 * heap. The forked JVMs that measure it pre-touch a fixed heap ({@code -Xms = -Xmx}, AlwaysPreTouch), so
 * the heap's share of the resident set is exactly its committed size.
 */
final class NativeMemory {
    static final long MB = 1L << 20;

    private NativeMemory() {
    }

    static long now() {
        return residentBytes() - ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
    }

    /**
     * After garbage collection has released what it can: ND4J frees a collected array's buffer later, on
     * its own thread, so collections repeat until two in a row free nothing.
     */
    static long settled() throws InterruptedException {
        long bytes = now();
        int roundsWithoutRelease = 0;
        for (int round = 0; round < 30 && roundsWithoutRelease < 2; round++) {
            System.gc();
            Thread.sleep(150);
            long current = now();
            roundsWithoutRelease = current < bytes - MB ? 0 : roundsWithoutRelease + 1;
            bytes = Math.min(bytes, current);
        }
        return now();
    }

    private static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/status", e);
        }
        throw new IllegalStateException("no VmRSS line in /proc/self/status");
    }

    /** The highest {@link #now()} seen while it is open, sampled every 2 ms on its own thread. */
    static final class Peak implements AutoCloseable {
        private final Thread sampler;
        private volatile boolean running = true;
        private volatile long peak;

        Peak() {
            peak = now();
            sampler = new Thread(() -> {
                while (running) {
                    peak = Math.max(peak, now());
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "native-memory-peak");
            sampler.setDaemon(true);
            sampler.start();
        }

        long bytes() {
            return peak;
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            sampler.join();
            peak = Math.max(peak, now());
        }
    }
}
